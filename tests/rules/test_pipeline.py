"""From an incident to a ranked, explained Diagnosis, on a synthetic recording with a known answer."""

from __future__ import annotations

from pathlib import Path

from knowledge_graph import KnowledgeGraph, load_default_graph
from models import Condition, Fact, Incident, LockWait
from rules import diagnose_with_rules, load_rulebook
from rules.certainty import condition_strength
from rules.facts import incident_facts
from sleuth.render import how_text, json_record, markdown
from sources.evalsets import compose
from sources.incident_files import load_incident
from tests.rules.fakes import KG, METRICS, book_from, incident
from tests.rules.signal_support import dbsherlock_case
from tests.rules.test_engine import CHAIN


def test_cpu_jump_is_diagnosed_with_its_chain_and_evidence() -> None:
    book = book_from(CHAIN)
    d = diagnose_with_rules(incident({"cpu_user": 3.0, "latency": 2.5}, labels=["cpu_saturation"]), book, KG)
    assert d.path == "rules" and d.errors == [] and d.labels == ["cpu_saturation"]
    assert not d.window_inferred and d.window is not None and (d.window.start, d.window.end) == (100, 129)
    [finding] = d.causes
    assert finding.cause == "cpu_saturation" and finding.title == "CPU saturation"
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
    assert (
        "rule cpu_hot [chain] on cpu_user ⇒ fact cpu_hot" in text
        and "signal cpu_user (level shift, up): 20 → 60 (×3" in text
    )
    md = markdown(d)
    assert (
        md.startswith("## synthetic-1\n\nDiagnosed by **rules**")
        and "1. **Fix cpu_saturation** (low risk)" in md
    )


def test_nothing_moved_is_inconclusive() -> None:
    d = diagnose_with_rules(incident({}), book_from(CHAIN), KG)
    assert (d.path, d.causes, d.errors) == ("inconclusive", [], [])
    assert sorted(f.name for f in d.signals) == sorted(METRICS)


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


def test_ranking_weighs_observations_as_well_as_signals() -> None:
    """Lock snapshots, statements and planner findings show symptoms no metric can (``shown_by``).

    CPU and latency moved: CPU saturation explains both observed symptoms
    (coverage (0.9 + 0.6) / 2). A lock snapshot with a blocker shows lock waits
    too, which it does not explain (coverage (0.9 + 0.6) / 3), whether the
    snapshot is in the incident or a planner tool found it.
    """
    book = book_from(CHAIN)
    hot = incident({"cpu_user": 3.0, "latency": 2.5})
    alone = diagnose_with_rules(hot, book, KG)
    assert [(c.cause, c.coverage) for c in alone.causes] == [("cpu_saturation", 0.75)]
    found = Fact(kind="observation", name="lock_waits", attrs={"blockers": 1.0}, source="planner")
    planner = diagnose_with_rules(hot, book, KG, extra_facts=[found])
    assert [(c.cause, c.coverage) for c in planner.causes] == [("cpu_saturation", 0.5)]
    snapshot = hot.model_copy(
        update={"lock_waits": [LockWait(waiting_session="7", blocking_session="3", wait_s=2.0)]}
    )
    recorded = diagnose_with_rules(snapshot, book, KG)
    assert [(c.cause, c.coverage) for c in recorded.causes] == [("cpu_saturation", 0.5)]


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


def _steady(incident_: Incident) -> Incident:
    """The same capture with its labelled jump undone and no window: normal wobble throughout."""
    return incident_.model_copy(update={"window": None})


def test_a_capture_with_nothing_abnormal_is_healthy_and_says_what_was_tested() -> None:
    book = book_from(CHAIN)
    d = diagnose_with_rules(_steady(incident({})), book, KG, infer_window=True)
    assert (d.path, d.causes, d.windows, d.window) == ("healthy", [], [], None)
    assert d.window_inferred and d.health is not None and d.health.healthy
    assert d.health.p_value > 0.01 and d.health.resamples == 199 and d.health.samples == 150
    assert d.health.metrics == len(METRICS)
    assert d.health.strongest is not None and d.health.strongest.metric in METRICS
    assert "bootstrap" in d.health.method


def test_an_inferred_anomaly_is_not_healthy_and_keeps_its_test() -> None:
    book = book_from(CHAIN)
    moved = incident({"cpu_user": 3.0, "latency": 2.5, "threads_running": 2.0})
    d = diagnose_with_rules(_steady(moved), book, KG, infer_window=True)
    assert d.path == "rules" and [c.cause for c in d.causes] == ["cpu_saturation"]
    assert d.window is not None and (d.window.start, d.window.end) == (100, 129)
    assert d.health is not None and not d.health.healthy and d.health.p_value == 0.005
    assert d.health.strongest is not None and d.health.strongest.metric in {
        "cpu_user",
        "latency",
        "threads_running",
    }
    assert d.causes[0].window == d.window


def test_a_neighbours_load_on_the_host_is_not_the_servers_anomaly() -> None:
    # the collectors' /proc figures of the machine sleuth shares with the server: the host's CPU
    # and disk writes triple while every figure of the server itself keeps its normal wobble
    kg = load_default_graph()
    steps = ("cpu_user", "cpu_system", "disk_write_sectors")
    moved = _steady(incident(dict.fromkeys(steps, 3.0)))
    host = moved.model_copy(
        update={
            "metrics": [
                m.model_copy(update={"name": f"host.{m.name}"}) if m.name in steps else m
                for m in moved.metrics
            ]
        }
    )
    d = diagnose_with_rules(host, book_from(CHAIN), kg, infer_window=True)
    assert (d.path, d.causes, d.window) == ("healthy", [], None)
    assert d.health is not None and d.health.metrics == len(METRICS) - len(steps)
    # the same steps in the server's own figures are an anomaly
    own = diagnose_with_rules(moved, book_from(CHAIN), kg, infer_window=True)
    assert own.health is not None and not own.health.healthy
    assert own.window is not None and (own.window.start, own.window.end) == (100, 129)


def test_a_labelled_capture_is_never_called_healthy() -> None:
    d = diagnose_with_rules(incident({}), book_from(CHAIN), KG)
    assert d.path == "inconclusive" and d.health is None


def _overlapping(kg: KnowledgeGraph) -> Incident:
    """A DBSherlock CPU hog over 30..89 with a table restore loading rows over 70..89 only: over the
    whole window the restore is a third of the samples, so its medians stay normal."""
    hog = dbsherlock_case("cpu_saturation-08")
    restore = dbsherlock_case("table_restore-01")
    assert hog.window is not None and restore.window is not None
    return compose([hog, restore], [0, 42])


def test_a_second_cause_in_part_of_the_window_is_measured_on_its_own_part() -> None:
    kg = load_default_graph()
    compound = _overlapping(kg)
    d = diagnose_with_rules(compound, load_rulebook(), kg)
    assert sorted(c.cause for c in d.causes[:2]) == ["cpu_saturation", "table_restore"]
    by_cause = {c.cause: c for c in d.causes}
    restore, hog = by_cause["table_restore"].window, by_cause["cpu_saturation"].window
    assert restore is not None and hog is not None and d.window is not None
    assert d.window.start <= restore.start and restore.end <= d.window.end
    assert restore.end - restore.start < hog.end - hog.start
    assert len(d.windows) >= 2 and d.window in d.windows
