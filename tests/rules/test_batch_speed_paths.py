"""The cheaper paths signals and the engine take give exactly what the plain ones gave."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models import Fact
from rules import stats
from rules.compiler import message_json
from rules.engine import run_rules
from tests.rules.fakes import book_from, signal

VECTORS = arrays(
    np.float64,
    st.integers(0, 40),
    elements=st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
)


@given(VECTORS)
def test_finite_is_nan_to_num_bit_for_bit(values: np.ndarray) -> None:
    got = stats.finite(values)
    want = np.nan_to_num(values)
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()  # signed zeros and the largest doubles included


def test_finite_leaves_its_input_alone() -> None:
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 2.5])
    largest = float(np.finfo(np.float64).max)
    assert stats.finite(values).tolist() == [0.0, largest, -largest, -0.0, 2.5]
    assert np.isnan(values[0]) and np.isinf(values[1])


# Two rounds into one ruleset: the derived fact follows the signals, and one signal carries numbers
# that only the careful encoder writes; the retraction joins both rounds' JSON.
TWO_ROUNDS = """
pack: rounds
rules:
  - id: hot
    title: CPU is hot
    when: {all: [{signal: cpu_user, score: {gte: 3}}]}
    then: {fact: hot}
    certainty: 0.9
  - id: bound
    title: hot and slow
    when:
      all:
        - fact: hot
        - signal: latency
          ratio: {gt: 1.5}
    then: {cause: cpu_saturation}
    certainty: 0.8
"""


def test_facts_asserted_over_several_rounds_are_all_retracted() -> None:
    book = book_from(TWO_ROUNDS)
    facts = [signal("cpu_user", score=1e20), signal("latency", ratio=2.0)]
    first = run_rules(book, facts)
    assert [f.rule.id for f in first.firings] == ["hot", "bound"]
    assert first.errors == ()
    # a fact left behind by the first run would let ``bound`` fire on latency alone
    alone = run_rules(book, [signal("latency", ratio=2.0)])
    assert (alone.firings, alone.causes, alone.errors) == ((), {}, ())
    again = run_rules(book, facts)
    assert again.causes == first.causes and [f.rule.id for f in again.firings] == ["hot", "bound"]


ATTRS = st.dictionaries(
    st.sampled_from(["score", "ratio", "shape", "direction", "blocked", "certainty", "count"]),
    st.one_of(st.booleans(), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["up", "flat", "x"])),
)
KEYS = st.frozensets(
    st.sampled_from(
        [
            "certainty",
            "n_score",
            "n_ratio",
            "s_shape",
            "s_direction",
            "b_blocked",
            "n_count",
            "s_count",
            "b_count",
        ]
    )
)


@given(ATTRS, KEYS)
def test_a_rulesets_message_is_the_full_message_cut_to_its_keys(
    attrs: dict[str, float | str | bool], keys: frozenset[str]
) -> None:
    fact = Fact(kind="signal", name="cpu_user", attrs=attrs, certainty=0.7)
    every = frozenset(f"{t}_{name}" for t in "nsb" for name in attrs) | {"certainty"}
    full = json.loads(message_json(fact, 3, "s", every))
    base = {"sid", "id", "fid", "kind", "name"}
    cut = json.loads(message_json(fact, 3, "s", keys))
    assert cut == {k: v for k, v in full.items() if k in base or k in keys}
