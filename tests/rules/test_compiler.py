"""The compiled durable_rules conditions and the pure-Python evaluator must agree on every fact.

WHY-NOT and the tuning scripts trust ``rules.conditions``; the engine trusts
the compiler. If they ever disagreed, an explanation would contradict the
diagnosis, so this property test drives both with the same random facts.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models import Fact
from rules.conditions import matches
from rules.engine import run_rules
from tests.rules.fakes import book_from

PACK = r"""
pack: agree
rules:
  - id: bounds
    title: numeric bounds on several fields
    when:
      all:
        - {signal: cpu_user, score: {gt: 3, lte: 40}, ratio: {gte: 1.5}, confidence: {ne: 0.5}}
    then: {cause: cpu_saturation}
    certainty: 0.9
  - id: shapes
    title: shape list and direction
    when:
      all:
        - {signal: cpu_user, shape: [spike, level_shift], direction: up}
    then: {cause: workload_spike}
    certainty: 0.9
  - id: steady
    title: a steady metric, by equality and upper bound
    when:
      all:
        - {signal: cpu_user, direction: none, delta: {lt: 1, gte: -1}, peak: {eq: 10}}
    then: {cause: io_saturation}
    certainty: 0.9
  - id: observed
    title: observation attributes
    when:
      all:
        - {observation: top_sql, where: {rows: {gt: 100}, statement: select, correlated: true}}
    then: {cause: missing_index}
    certainty: 0.9
  - id: texty
    title: text that needs escaping in JSON
    when:
      all:
        - {observation: top_sql, where: {note: "caf\u00e9 \"x\"\\y\t\u65e5"}}
    then: {cause: lock_contention}
    certainty: 0.9
"""
NOTE = 'caf\u00e9 "x"\\y\t\u65e5'

BOOK = book_from(PACK)

numbers = st.one_of(
    st.floats(min_value=-100, max_value=100, allow_nan=False),
    st.sampled_from([3.0, 40.0, 1.5, 0.5, 10.0, 1.0, -1.0]),
)
signal_facts = st.builds(
    lambda score, ratio, confidence, shape, direction, delta, peak: Fact(
        kind="signal",
        name="cpu_user",
        attrs={
            "score": score,
            "ratio": ratio,
            "confidence": confidence,
            "shape": shape,
            "direction": direction,
            "delta": delta,
            "peak": peak,
        },
    ),
    numbers,
    numbers,
    st.sampled_from([0.5, 0.9, 1.0]),
    st.sampled_from(["spike", "drop", "level_shift", "trend", "flat"]),
    st.sampled_from(["up", "down", "none"]),
    numbers,
    numbers,
)
observation_facts = st.builds(
    lambda rows, statement, correlated: Fact(
        kind="observation",
        name="top_sql",
        attrs={"rows": rows, "statement": statement, "correlated": correlated},
    ),
    st.one_of(numbers, st.just("many")),
    st.sampled_from(["select", "update"]),
    st.one_of(st.booleans(), st.just(1.0)),
)


@settings(max_examples=150, deadline=None)
@given(signal=signal_facts, observation=observation_facts)
def test_engine_fires_exactly_when_the_evaluator_matches(signal: Fact, observation: Fact) -> None:
    fired = {f.rule.id for f in run_rules(BOOK, [signal, observation]).firings}
    expected = {
        rule.id
        for rule in BOOK.rules
        if all(matches(c, signal) or matches(c, observation) for c in rule.when.all)
    }
    # `steady` asks for no change: its strength is certainty x (1 - confidence), 0 when confidence is 1.
    if signal.attrs["confidence"] == 1.0:
        expected.discard("steady")
    assert fired == expected
