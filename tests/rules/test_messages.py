"""Facts reach durable_rules as JSON it can parse: no exponent, whatever the numbers."""

from __future__ import annotations

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from models import Fact
from rules.compiler import attr_key, message_json, token

_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.sampled_from([1e-05, -1e-300, 5e-324, 1e16, -1e22, 1.5e308, 0.0001, 9999999999999998.0]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.text(max_size=12),
)
_ATTRS = st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), _VALUES, max_size=6)


def _no_exponent(text: str) -> float:
    assert "e" not in text.lower(), text
    return float(text)


def _refuse(name: str) -> float:
    raise AssertionError(f"{name} reached durable")


@given(_ATTRS)
def test_every_finite_number_arrives_whole_and_nothing_else_does(
    attrs: dict[str, float | str | bool],
) -> None:
    fact = Fact.model_construct(kind="signal", name="x", attrs=attrs, certainty=1.0)
    keys = frozenset(attr_key(name, value) for name, value in attrs.items())
    decoded = json.loads(
        message_json(fact, 1, "sleuth", keys), parse_float=_no_exponent, parse_constant=_refuse
    )
    # the header, and the fact's own certainty (never an attribute's)
    arrived = {k: v for k, v in decoded.items() if k not in {"sid", "id", "fid", "kind", "name", "certainty"}}
    assert arrived == {
        attr_key(name, value): token(value) if isinstance(value, str) else value
        for name, value in attrs.items()
        if name != "certainty" and not (isinstance(value, float) and not math.isfinite(value))
    }


def test_an_ordinary_message_is_plain_json() -> None:
    fact = Fact(
        kind="signal", name="cpu_user", attrs={"score": -2.5, "x": True, "shape": "flat"}, certainty=0.5
    )
    text = message_json(fact, 3, "sleuth", frozenset({"n_score", "b_x", "s_shape", "certainty"}))
    assert text == (
        f'{{"sid":"sleuth","id":3,"fid":3,"kind":"{token("signal")}","name":"{token("cpu_user")}",'
        f'"certainty":0.5,"n_score":-2.5,"s_shape":"{token("flat")}","b_x":true}}'
    )
