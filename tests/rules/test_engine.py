"""The durable_rules wrapper: chaining, certainty, isolation, failure surfacing, reloads."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import pytest
from durable import engine as durable_engine
from durable import lang

from models import Fact
from rules.book import load_rulebook
from rules.compiler import CHUNK, SUBJECT_LIMIT, message_json
from rules.engine import prepare, run_rules, swallowed_error
from tests.rules.fakes import KG, book_from, signal

CHAIN = """
pack: chain
rules:
  - id: cpu_hot
    title: CPU is hot
    when:
      all:
        - signal: cpu_user
          score: {gte: 3}
    then: {fact: cpu_hot}
    certainty: 0.9
  - id: cpu_bound
    title: CPU-bound workload
    when:
      all:
        - fact: cpu_hot
        - signal: latency
          ratio: {gt: 1.5}
      none:
        - signal: row_lock_waits
          score: {gt: 3}
    then: {cause: cpu_saturation}
    certainty: 0.8
  - id: lat_and_threads
    title: Latency with more threads running
    salience: 5
    when:
      all:
        - signal: latency
          ratio: {gt: 1.5}
      any:
        - signal: threads_running
          score: {gt: 3}
        - signal: cpu_user
          score: {gt: 3}
    then: {cause: cpu_saturation}
    certainty: 0.5
"""


def test_forward_chaining_and_mycin_certainty() -> None:
    book = book_from(CHAIN)
    facts = [
        signal("cpu_user", confidence=0.8, score=4.0),
        signal("latency", confidence=0.9, ratio=2.0),
        signal("threads_running", confidence=0.6, score=5.0),
    ]
    result = run_rules(book, facts)
    assert result.errors == ()
    by_rule = {f.rule.id: f for f in result.firings}
    assert by_rule["cpu_hot"].certainty == pytest.approx(0.8 * 0.9)
    # cpu_bound: premise = min(cpu_hot 0.72, latency 0.9) = 0.72; x 0.8
    assert by_rule["cpu_bound"].premise == pytest.approx(0.72)
    # lat_and_threads: min(latency 0.9, max(threads 0.6, cpu 0.8)) = 0.8; x 0.5
    assert by_rule["lat_and_threads"].premise == pytest.approx(0.8)
    a, b = 0.72 * 0.8, 0.8 * 0.5
    assert result.causes == {"cpu_saturation": pytest.approx(a + b * (1 - a))}
    derived = [f for f in result.facts if f.kind == "derived"]
    assert [(f.name, f.source) for f in derived] == [("cpu_hot", "cpu_hot")]
    assert derived[0].certainty == pytest.approx(0.72)


def test_none_condition_blocks_the_rule() -> None:
    book = book_from(CHAIN)
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0), signal("row_lock_waits", score=9.0)]
    fired = {f.rule.id for f in run_rules(book, facts).firings}
    assert fired == {"cpu_hot", "lat_and_threads"}


def test_chaining_crosses_packs() -> None:
    first, second = CHAIN.split("  - id: cpu_bound")
    book = book_from(first, "pack: second\nrules:\n  - id: cpu_bound" + second.split("  - id: lat_and")[0])
    result = run_rules(book, [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)])
    assert {f.rule.id for f in result.firings} == {"cpu_hot", "cpu_bound"}
    assert len(prepare(book)) == 2


def test_salience_orders_firings_and_disabled_rules_do_not_fire() -> None:
    book = book_from(CHAIN)
    seen: list[str] = []
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]
    run_rules(book, facts, observer=lambda rule, _facts: seen.append(rule))
    assert seen[0] == "lat_and_threads"
    result = run_rules(book, facts, disabled=frozenset({"cpu_hot"}))
    assert {f.rule.id for f in result.firings} == {"lat_and_threads"}


def test_rules_for_another_engine_do_not_fire() -> None:
    book = book_from(CHAIN.replace("    salience: 5\n", "    salience: 5\n    engines: [postgres]\n"))
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]
    assert "lat_and_threads" not in {f.rule.id for f in run_rules(book, facts, engine="mysql").firings}
    assert "lat_and_threads" in {f.rule.id for f in run_rules(book, facts, engine="postgres").firings}


def test_an_exception_inside_an_action_is_reported() -> None:
    book = book_from(CHAIN)

    def explode(rule: str, facts: Mapping[str, Fact]) -> None:
        raise ValueError(f"boom in {rule}")

    result = run_rules(book, [signal("cpu_user", score=4.0)], observer=explode)
    assert result.errors == ("rule cpu_hot: ValueError: boom in cpu_hot",)


def test_durable_swallows_action_exceptions_which_is_why_we_check_its_state() -> None:
    """The pitfall itself: without the wrapper, the error only lives in the session state."""
    host = _bare_host()
    rule = lang.when_all(lang.c.f0 << (lang.m.kind == "boom"))
    rule.func = [lambda c: 1 / 0]
    host.register_rulesets({"pitfall_swallow": {"r": rule.define()}})
    host.assert_fact("pitfall_swallow", {"sid": "1", "kind": "boom"})  # no exception here...
    state = host.get_state("pitfall_swallow", "1")
    assert "division by zero" in state["exception"]
    # ...which is where the wrapper reads it back, message without the traceback
    assert swallowed_error(state) == "exception caught division by zero"
    assert swallowed_error({"sid": "1"}) is None
    with pytest.raises(durable_engine.MessageNotHandledException):
        host.assert_fact("pitfall_swallow", {"sid": "1", "kind": "unmatched"})


def test_two_incidents_never_join_each_others_facts() -> None:
    book = book_from(CHAIN)
    first = run_rules(book, [signal("cpu_user", score=4.0)])
    second = run_rules(book, [signal("latency", ratio=2.0)])
    assert {f.rule.id for f in first.firings} == {"cpu_hot"}
    assert second.firings == ()
    assert [f.name for f in second.facts] == ["latency"]


def test_concurrent_runs_are_serialised() -> None:
    book = book_from(CHAIN)
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]
    results: list[dict[str, float]] = []

    def work() -> None:
        for _ in range(20):
            results.append(run_rules(book, facts).causes)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 60 and all(r == results[0] for r in results)


def test_reload_in_one_process_uses_new_ruleset_names(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(CHAIN)
    old = load_rulebook([path], graph=KG)
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]
    before = run_rules(old, facts).causes
    path.write_text(CHAIN.replace("certainty: 0.5", "certainty: 0.25"))
    new = old.reload(graph=KG)
    assert {r.name for r in prepare(new)}.isdisjoint({r.name for r in prepare(old)})
    assert run_rules(new, facts).causes != before
    assert run_rules(old, facts).causes == before


def _many(count: int, condition: str) -> str:
    rules = "".join(
        f"  - id: r{i}\n    title: r{i}\n    when:\n      all:\n        - {condition.format(i=i)}\n"
        f"    then: {{cause: cpu_saturation}}\n    certainty: 0.01\n"
        for i in range(count)
    )
    return "pack: big\nrules:\n" + rules


def test_packs_larger_than_a_chunk_are_split_and_all_rules_fire() -> None:
    book = book_from(_many(CHUNK * 2 + 50, "observation: o{i}"))
    assert [len(r.rules) for r in prepare(book)] == [CHUNK, CHUNK, 50]
    facts = [Fact(kind="observation", name=f"o{i}") for i in range(CHUNK * 2 + 50)]
    assert len(run_rules(book, facts).firings) == CHUNK * 2 + 50


def test_one_fact_may_activate_many_rules() -> None:
    """durable fails (error 303) past 64 activations of one fact per ruleset; the planner spreads them."""
    book = book_from(_many(150, "{{signal: cpu_user, score: {{gt: 0.{i:03d}}}}}"))
    assert [len(r.rules) for r in prepare(book)] == [SUBJECT_LIMIT, SUBJECT_LIMIT, 30]
    result = run_rules(book, [signal("cpu_user", score=1.0)])
    assert result.errors == () and len(result.firings) == 150


def _bare_host() -> durable_engine.Host:
    class Host(durable_engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            return None

    return Host()


def test_a_run_leaves_no_facts_behind_and_many_runs_stay_stable() -> None:
    """durable's delete_state corrupts its heap, so runs retract their facts instead; prove they do.

    A fact left behind would join the next run's: the CPU facts of the first runs
    would let ``cpu_bound`` and ``lat_and_threads`` fire on latency alone.
    """
    book = book_from(CHAIN)
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0), signal("row_lock_waits", score=0.0)]
    first = run_rules(book, facts).causes
    for _ in range(300):
        assert run_rules(book, facts).causes == first
    after = run_rules(book, [signal("latency", ratio=2.0)])
    assert (after.firings, after.causes, [f.name for f in after.facts]) == ((), {}, ["latency"])


def test_numbers_reach_durable_without_exponents() -> None:
    """durable's JSON parser crashes the process on ``1e-05``; the wrapper writes numbers out in full."""
    fact = Fact.model_construct(
        kind="signal",
        name="x",
        attrs={"a": 1e-05, "b": 1e20, "c": -0.0, "e": True, "g": float("nan")},
        certainty=1.0,
    )
    text = message_json(fact, 1, "s", frozenset({"n_a", "n_b", "n_c", "b_e", "n_g"}))
    assert text.endswith(',"n_a":0.00001,"n_b":100000000000000000000.0,"n_c":-0.0,"b_e":true}')
    book = book_from(CHAIN)
    facts = [signal("cpu_user", score=1e20, ratio=1e-05), signal("latency", ratio=2.0, score=5e-324)]
    assert run_rules(book, facts).causes == {"cpu_saturation": pytest.approx(0.72 + 0.5 * (1 - 0.72))}


BLOCKED = """
pack: blocked
rules:
  - id: blocker
    title: latency derives a blocker, asserted only in the second round
    when: {all: [{signal: latency, ratio: {gt: 1.5}}]}
    then: {fact: blocker}
    certainty: CF
  - id: blocked
    title: fires in the first round, before the blocker exists
    when:
      all: [{signal: cpu_user, score: {gt: 3}}]
      none: [{fact: blocker, certainty: {gt: 0.5}}]
    then: {cause: cpu_saturation}
    certainty: 0.8
"""


def test_a_none_condition_met_by_a_later_derived_fact_still_blocks() -> None:
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]
    strong = run_rules(book_from(BLOCKED.replace("CF", "0.9")), facts)
    assert [f.rule.id for f in strong.firings] == ["blocker"] and strong.causes == {}
    weak = run_rules(book_from(BLOCKED.replace("CF", "0.3")), facts)
    assert {f.rule.id for f in weak.firings} == {"blocker", "blocked"}
    assert weak.causes == {"cpu_saturation": pytest.approx(0.8)}


def test_a_packs_engines_apply_to_its_rules_unless_a_rule_names_its_own() -> None:
    pack = CHAIN.replace("pack: chain\n", "pack: chain\nengines: [postgres]\n")
    book = book_from(pack.replace("    salience: 5\n", "    salience: 5\n    engines: [mysql]\n"))
    facts = [signal("cpu_user", score=4.0), signal("latency", ratio=2.0)]
    assert {f.rule.id for f in run_rules(book, facts, engine="mysql").firings} == {"lat_and_threads"}
    assert {f.rule.id for f in run_rules(book, facts, engine="postgres").firings} == {"cpu_hot", "cpu_bound"}
    assert book.engines_of("cpu_hot") == ("postgres",) and book.engines_of("lat_and_threads") == ("mysql",)


_HOT = [signal("cpu_user", confidence=0.8, score=4.0), signal("latency", confidence=0.9, ratio=2.0)]


@pytest.mark.timeout(60)
def test_an_interrupt_inside_an_action_stops_the_run_and_the_next_run_is_whole() -> None:
    """Ctrl-C (or a stop signal's exception) is no rule failure: it ends the run, and leaves durable's
    sessions as a run that finished would."""
    book = book_from(CHAIN)
    expected = run_rules(book, _HOT)

    def interrupted(rule: str, facts: Mapping[str, Fact]) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_rules(book, _HOT, observer=interrupted)
    again = run_rules(book, _HOT)
    assert again.causes == expected.causes and again.errors == ()
    assert [f.rule.id for f in again.firings] == [f.rule.id for f in expected.firings]


@pytest.mark.timeout(60)
def test_an_interrupt_between_two_engine_steps_leaves_the_engine_usable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A signal's exception can land between starting an action and completing it."""
    import rules.engine as engine

    book = book_from(CHAIN)
    expected = run_rules(book, _HOT)
    real = engine._state_sid
    calls = {"n": 0}

    def interrupted_once(state_text: str) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        return real(state_text)

    monkeypatch.setattr(engine, "_state_sid", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        run_rules(book, _HOT)
    again = run_rules(book, _HOT)
    assert again.causes == expected.causes and again.errors == ()
    assert [f.rule.id for f in again.firings] == [f.rule.id for f in expected.firings]
