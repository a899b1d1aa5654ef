"""Firings dispatched by the wrapper itself: a failing action lands in the result, and the session
state it was stored in is cleared, so the next run starts clean."""

from __future__ import annotations

from collections.abc import Mapping

from models import Fact
from rules.engine import prepare, run_rules
from tests.rules.fakes import book_from, signal

# A derived fact chained into a cause, in YAML's flow style.
CHAIN = """
pack: dispatch
rules:
  - {id: cpu_hot, title: CPU is hot, certainty: 0.9, then: {fact: cpu_hot},
     when: {all: [{signal: cpu_user, score: {gte: 3}}]}}
  - {id: cpu_bound, title: CPU-bound workload, certainty: 0.8, then: {cause: cpu_saturation},
     when: {all: [{fact: cpu_hot}, {signal: latency, ratio: {gt: 1.5}}]}}
"""


class _Abort(BaseException):
    """Not an ``Exception``: the recorder's own guard lets it through to the dispatch."""


def test_an_action_that_escapes_the_recorder_is_reported_once_and_cleared() -> None:
    book = book_from(CHAIN)
    (ruleset,) = prepare(book)
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]

    def abort(rule: str, bound: Mapping[str, Fact]) -> None:
        raise _Abort(f"stop at {rule}")

    failed = run_rules(book, facts, observer=abort)
    assert failed.errors == (f"rule action failed in {ruleset.name}: exception caught stop at cpu_hot",)
    assert failed.firings == ()
    clean = run_rules(book, facts)
    assert clean.errors == ()
    assert [f.rule.id for f in clean.firings] == ["cpu_hot", "cpu_bound"]


def test_every_firing_of_one_assert_is_dispatched() -> None:
    book = book_from(CHAIN)
    seen: list[tuple[str, tuple[str, ...]]] = []
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]
    result = run_rules(book, facts, observer=lambda rule, bound: seen.append((rule, tuple(sorted(bound)))))
    assert result.errors == ()
    assert seen == [("cpu_hot", ("f0",)), ("cpu_bound", ("f0", "f1"))]
