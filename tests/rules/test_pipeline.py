"""From an incident to a ranked, explained Diagnosis, on a synthetic recording with a known answer."""

from __future__ import annotations

from pathlib import Path

from knowledge_graph import load_default_graph
from models import Condition, Fact
from rules import diagnose_with_rules, load_rulebook
from rules.certainty import condition_strength
from rules.facts import incident_facts
from rules.render import how_text, json_record, markdown
from sources.importers import load_incident
from tests.rules.fakes import FakeCatalogGraph, Ranked, book_from, incident
from tests.rules.test_engine import CHAIN

KG = FakeCatalogGraph()


def test_cpu_jump_is_diagnosed_with_its_chain_and_evidence() -> None:
    book = book_from(CHAIN, lint_with=KG)
    d = diagnose_with_rules(incident({"cpu_user": 3.0, "latency": 2.5}, labels=["cpu_saturation"]), book, KG)
    assert d.path == "rules" and d.errors == [] and d.labels == ["cpu_saturation"]
    assert not d.window_inferred and d.window is not None and (d.window.start, d.window.end) == (100, 129)
    [finding] = d.causes
    assert finding.cause == "cpu_saturation" and finding.title == "Cpu saturation"
    assert finding.rules == ["cpu_bound", "lat_and_threads", "cpu_hot"]
    assert [(s.rule, s.concludes, s.conclusion_kind) for s in finding.chain] == [
        ("cpu_hot", "cpu_hot", "fact"),
        ("cpu_bound", "cpu_saturation", "cause"),
        ("lat_and_threads", "cpu_saturation", "cause"),
    ]
    assert [(e.kind, e.name) for e in finding.evidence] == [("signal", "cpu_user"), ("signal", "latency")]
    assert finding.evidence[0].values["ratio"] == 3.0
    assert [r.id for r in finding.remediations] == ["fix_cpu_saturation"]
    record = json_record(d)
    assert list(record) == ["incident", "path", "causes", "elapsed_ms", "window_inferred"]
    assert record["causes"][0]["rules"] == finding.rules
    text = how_text(d)
    assert "rule cpu_hot => fact cpu_hot" in text and "cpu_user [level_shift]: baseline=20" in text
    md = markdown(d)
    assert (
        md.startswith("## synthetic-1\n\nDiagnosed by **rules**")
        and "1. **Fix cpu_saturation** (risk: low)" in md
    )


def test_nothing_moved_is_inconclusive() -> None:
    d = diagnose_with_rules(incident({}), book_from(CHAIN), KG)
    assert (d.path, d.causes, d.errors) == ("inconclusive", [], [])
    assert len(d.signals) == len(KG.metrics)


def test_an_incident_without_samples_is_inconclusive_with_a_reason() -> None:
    empty = incident({}).model_copy(update={"metrics": []})
    d = diagnose_with_rules(empty, book_from(CHAIN), KG)
    assert d.path == "inconclusive" and d.errors == ["incident synthetic-1 has no metric samples"]


def test_disabled_rules_and_observations_from_the_planner() -> None:
    book = book_from(
        CHAIN
        + """
  - id: slow_query_seen
    title: A planner tool saw a full scan
    when:
      all:
        - observation: full_scan
          where: {rows: {gt: 1000}}
    then: {cause: missing_index}
    certainty: 0.7
"""
    )
    seen = Fact(kind="observation", name="full_scan", attrs={"rows": 5000.0}, source="s1")
    d = diagnose_with_rules(
        incident({"cpu_user": 3.0, "latency": 2.5}),
        book,
        KG,
        disabled_rules=frozenset({"cpu_bound", "lat_and_threads"}),
        extra_facts=[seen],
    )
    assert [(c.cause, c.certainty) for c in d.causes] == [("missing_index", 0.7)]


def test_a_condition_asking_for_a_steady_metric_draws_strength_from_its_steadiness() -> None:
    steady = Fact(kind="signal", name="cpu_wait", attrs={"confidence": 0.1, "direction": "none"})
    assert condition_strength(steady, Condition(signal="cpu_wait", direction="none")) == 0.9
    assert condition_strength(steady, Condition(signal="cpu_wait")) == 0.1


class _RecordingGraph(FakeCatalogGraph):
    """Remembers the facts ranking was given, to check observations reach the graph."""

    def __init__(self) -> None:
        self.ranked_with: list[Fact] = []

    def rank(self, certainties: dict[str, float], signals: list[Fact]) -> list[Ranked]:
        self.ranked_with = list(signals)
        return super().rank(certainties, signals)


def test_ranking_weighs_observations_as_well_as_signals() -> None:
    """Lock snapshots, statements and planner findings show symptoms no metric can (``shown_by``)."""
    graph = _RecordingGraph()
    book = book_from(CHAIN, lint_with=graph)
    seen = Fact(kind="observation", name="lock_waits", attrs={"blockers": 1.0}, source="planner")
    d = diagnose_with_rules(incident({"cpu_user": 3.0, "latency": 2.5}), book, graph, extra_facts=[seen])
    assert [c.cause for c in d.causes] == ["cpu_saturation"]
    observations = [f for f in graph.ranked_with if f.kind == "observation"]
    assert observations[-1] == seen and observations[0].name == "instance"
    assert sorted(f.name for f in graph.ranked_with if f.kind == "signal") == sorted(KG.metrics)


def test_an_idle_blocker_and_the_lock_queue_behind_it_are_both_primary() -> None:
    """The example's lock snapshots name an idle-in-transaction blocker: with them as evidence the
    graph ranks the blocker's cause first and keeps the queue it causes as a second primary."""
    kg = load_default_graph()
    path = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "rds-pg-lock-contention.json"
    example = load_incident(path)
    d = diagnose_with_rules(example, load_rulebook(), kg)
    assert [c.cause for c in d.causes] == ["idle_in_transaction", "lock_contention"]
    facts = incident_facts(example, kg).all
    ranked = kg.rank({c.cause: c.certainty for c in d.causes}, facts)
    assert [(r.cause, r.primary) for r in ranked] == [
        ("idle_in_transaction", True),
        ("lock_contention", True),
    ]
    assert {"blocking_session_found", "idle_in_transaction_up"} <= ranked[0].explained
