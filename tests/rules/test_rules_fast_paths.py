"""The engine's direct JSON, its waiting facts and the short-circuit condition test change no result."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import Condition, Fact, NumTest
from rules.compiler import attr_key, message_json, token
from rules.conditions import evaluate, matches
from rules.engine import run_rules
from tests.rules.fakes import book_from, signal

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.sampled_from([1e-05, -1e-300, 5e-324, 1e16, -1e22, 1.5e308, 0.0001, 9999999999999998.0, -0.0]),
)
NAMES = ("score", "ratio", "shape", "direction", "blocked", "certainty", "count", "café")
ATTRS = st.dictionaries(st.sampled_from(NAMES), st.one_of(st.booleans(), NUMBERS, st.text(max_size=8)))
# every typed key a ruleset may read (``attr_key``), and the fact's own certainty
KEYS = st.frozensets(st.sampled_from(["certainty", *(f"{t}_{name}" for t in "nsb" for name in NAMES)]))


def _no_exponent(text: str) -> float:
    assert "e" not in text.lower(), text
    return float(text)


def _refuse(name: str) -> float:
    raise AssertionError(f"{name} reached durable")


@given(ATTRS, KEYS, NUMBERS.filter(lambda c: not math.isnan(c)), st.integers(0, 10**6), st.text(max_size=6))
def test_a_message_holds_its_subject_and_exactly_the_finite_attributes_read_under_their_typed_keys(
    attrs: dict[str, float | str | bool], keys: frozenset[str], certainty: float, fid: int, sid: str
) -> None:
    fact = Fact.model_construct(kind="signal", name="cpu_user", attrs=attrs, certainty=certainty)
    decoded = json.loads(message_json(fact, fid, sid, keys), parse_float=_no_exponent, parse_constant=_refuse)
    wanted: dict[str, Any] = {
        "sid": sid,
        "id": fid,
        "fid": fid,
        "kind": token("signal"),
        "name": token("cpu_user"),
    }
    if "certainty" in keys and math.isfinite(certainty):
        wanted["certainty"] = certainty
    for name, value in attrs.items():
        typed = attr_key(name, value)
        if (
            name != "certainty"
            and typed in keys
            and not (isinstance(value, float) and not math.isfinite(value))
        ):
            wanted[typed] = token(value) if isinstance(value, str) else value
    assert decoded == wanted


def test_message_json_writes_numbers_out_in_full_and_drops_what_durable_cannot_read() -> None:
    fact = Fact(
        kind="signal", name="x", certainty=1.0, attrs={"score": 1e-05, "ratio": float("nan"), "up": True}
    )
    text = message_json(fact, 7, "sleuth", frozenset({"n_score", "n_ratio", "b_up", "certainty"}))
    assert text == (
        f'{{"sid":"sleuth","id":7,"fid":7,"kind":"{token("signal")}","name":"{token("x")}",'
        '"certainty":1.0,"n_score":0.00001,"b_up":true}'
    )


BOUNDS = st.one_of(
    st.builds(NumTest, gt=st.floats(-5, 5)),
    st.builds(NumTest, lte=st.floats(-5, 5)),
    st.builds(NumTest, gt=st.floats(-5, 0), lte=st.floats(0, 5)),
)
CONDITIONS = st.builds(
    Condition,
    fact=st.just("blocker"),
    certainty=st.none() | BOUNDS,
    score=st.none() | BOUNDS,
    direction=st.none() | st.sampled_from(["up", "down"]),
    shape=st.none() | st.lists(st.sampled_from(["spike", "flat", "level_shift"]), min_size=1, max_size=2),
    where=st.dictionaries(
        st.sampled_from(["blocked", "table"]), st.booleans() | st.sampled_from(["t1", "t2"])
    ),
)
DERIVED_ATTRS = st.dictionaries(
    st.sampled_from(["score", "direction", "shape", "blocked", "table"]),
    st.one_of(st.booleans(), st.floats(-6, 6), st.sampled_from(["up", "down", "spike", "flat", "t1"])),
)


@given(
    CONDITIONS, DERIVED_ATTRS, st.floats(0, 1), st.none() | st.floats(0, 1), st.sampled_from(["blocker", "x"])
)
def test_matches_is_evaluate_on_the_fact_with_its_settled_certainty(
    cond: Condition, attrs: dict[str, float | str | bool], asserted: float, settled: float | None, name: str
) -> None:
    fact = Fact(kind="derived", name=name, attrs=attrs, certainty=asserted)
    judged = fact if settled is None else fact.model_copy(update={"certainty": settled})
    assert matches(cond, fact, settled) == evaluate(cond, judged).matched


# The second pack can fire only once the first has derived ``hot``: its facts wait until then.
HOT = """
pack: hot
rules:
  - {id: hot, title: CPU is hot, certainty: 0.9, then: {fact: hot},
     when: {all: [{signal: cpu_user, score: {gte: 3}}]}}
"""
BOUND = """
pack: bound
rules:
  - id: bound
    title: hot and slow, unless writes are stalling
    certainty: 0.8
    then: {cause: cpu_saturation}
    when:
      all: [{fact: hot}, {signal: latency, ratio: {gt: 1.5}}]
      none: [{signal: disk_write_sectors, direction: down}]
"""


def test_a_ruleset_waiting_for_a_derived_fact_gets_its_earlier_facts_with_it() -> None:
    book = book_from(HOT, BOUND)
    facts = [signal("latency", ratio=2.0), signal("cpu_user", score=4.0)]
    result = run_rules(book, facts)
    assert [f.rule.id for f in result.firings] == ["hot", "bound"]
    assert [f.name for f in result.firings[1].facts] == ["hot", "latency"]
    assert result.causes == {"cpu_saturation": pytest.approx(0.9 * 0.8)}
    assert result.errors == ()


def test_a_blocking_fact_that_waited_still_blocks_and_nothing_is_left_behind() -> None:
    book = book_from(HOT, BOUND)
    stalled = signal("disk_write_sectors", direction="down")
    blocked = run_rules(book, [stalled, signal("latency", ratio=2.0), signal("cpu_user", score=4.0)])
    assert ([f.rule.id for f in blocked.firings], blocked.causes) == (["hot"], {})
    # facts that waited and were never handed over, or were, leave nothing for the next run to join
    latency_only = run_rules(book, [signal("latency", ratio=2.0)])
    assert (latency_only.firings, latency_only.causes) == ((), {})
    hot_only = run_rules(book, [signal("cpu_user", score=4.0)])
    assert ([f.rule.id for f in hot_only.firings], hot_only.causes) == (["hot"], {})
