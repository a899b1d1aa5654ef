"""Facts reach durable_rules as JSON it can parse: no exponent, whatever the numbers."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rules.compiler import encode_messages, token

_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.sampled_from([1e-05, -1e-300, 5e-324, 1e16, -1e22, 1.5e308, 0.0001, 9999999999999998.0]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.text(max_size=12).map(token),
)
_MESSAGES = st.lists(
    st.dictionaries(st.from_regex(r"[nsb]_[a-z]{1,8}", fullmatch=True), _VALUES, max_size=6).map(
        lambda attrs: {"sid": "sleuth", "fid": 1, **attrs}
    ),
    min_size=1,
    max_size=5,
)


def _no_exponent(text: str) -> float:
    assert "e" not in text.lower(), text
    return float(text)


@given(_MESSAGES)
def test_every_finite_number_arrives_whole_and_nothing_else_does(messages: list[dict[str, Any]]) -> None:
    decoded = json.loads(encode_messages(messages), parse_float=_no_exponent, parse_constant=_refuse)
    expected = [
        {k: v for k, v in m.items() if not (isinstance(v, float) and not math.isfinite(v))} for m in messages
    ]
    assert decoded == expected


def _refuse(name: str) -> float:
    raise AssertionError(f"{name} reached durable")


def test_an_ordinary_batch_is_plain_json() -> None:
    messages = [{"sid": "sleuth", "fid": 3, "kind": token("signal"), "n_score": -2.5, "b_x": True}]
    assert encode_messages(messages) == json.dumps(messages, ensure_ascii=False)
