"""The shipped rule packs: they load, every rule is tested inline, and DBSherlock accuracy holds.

The accuracy figures are the issue's acceptance bar, measured through the real
pipeline (signals -> durable_rules -> graph ranking) on the 70 labelled cases.
"""

from __future__ import annotations

import functools

import pytest

from knowledge_graph import KnowledgeGraph, load_default_graph
from models import Diagnosis, Incident
from rules import RuleBook, diagnose_with_rules, load_rulebook
from rules.evaluation import EvalCase, EvalReport, evaluate_cases
from rules.ruletest import run_inline_tests
from sources.importers import load_incident
from tests.rules.signal_support import dbsherlock_cases

DBSHERLOCK_CAUSES = {
    "poorly_written_query",
    "poor_physical_design",
    "workload_spike",
    "io_saturation",
    "db_backup",
    "table_restore",
    "cpu_saturation",
    "flush_log_table",
    "network_congestion",
    "lock_contention",
}
POSTGRES_CAUSES = {
    "missing_index",
    "redundant_indexes",
    "lock_contention",
    "dead_tuples_vacuum",
    "large_inserts",
    "large_fetches",
    "poor_join",
    "correlated_subquery",
    "cpu_contention",
    "io_contention",
    "idle_in_transaction",
    "checkpoint_storm",
}
SHIPPED = {"common", "mysql", "postgres"}  # the packs this test file vouches for
RDS_CAUSES = {
    "connection_exhaustion",
    "replication_lag",
    "storage_full",
    "iops_exhaustion",
    "burst_credit_exhaustion",
    "long_running_transaction",
    "parameter_change",
    "failover",
}


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load_default_graph()


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


def _diagnose(
    incident: Incident, book: RuleBook, kg: KnowledgeGraph, infer_window: bool = False
) -> Diagnosis:
    return diagnose_with_rules(incident, book=book, kg=kg, infer_window=infer_window)


def _concluded(book: RuleBook, engines: set[str]) -> set[str]:
    found = set()
    for loaded in book.packs:
        for rule in loaded.pack.rules:
            scope = set(rule.engines or loaded.pack.engines or ["mysql", "mariadb", "postgres"])
            if rule.then.cause is not None and scope & engines:
                found.add(rule.then.cause)
    return found


def test_packs_cover_the_causes_the_issue_names(book: RuleBook) -> None:
    assert {p.pack.pack for p in book.packs} >= SHIPPED
    assert _concluded(book, {"mysql"}) >= DBSHERLOCK_CAUSES | RDS_CAUSES
    assert _concluded(book, {"postgres"}) >= POSTGRES_CAUSES | (RDS_CAUSES - {"long_running_transaction"})


def test_every_rule_has_an_inline_test_with_a_small_incident(book: RuleBook) -> None:
    for loaded in (p for p in book.packs if p.pack.pack in SHIPPED):
        for rule in loaded.pack.rules:
            assert rule.tests, f"{rule.id} has no inline test"
            for test in rule.tests:
                path = loaded.path.parent / test.incident
                assert path.is_file() and path.stat().st_size < 64_000, path


def test_inline_tests_pass_through_the_pipeline(book: RuleBook, kg: KnowledgeGraph) -> None:
    results = run_inline_tests(book, load_incident, lambda incident: _diagnose(incident, book, kg))
    assert len(results) == sum(len(r.tests) for r in book.rules)
    assert [str(r) for r in results if not r.passed] == []


def test_inline_test_incidents_are_diagnosed_by_the_rule_under_test(
    book: RuleBook, kg: KnowledgeGraph
) -> None:
    """An inline test must exercise its rule, not pass because a sibling concluded the same cause."""
    for loaded in (p for p in book.packs if p.pack.pack in SHIPPED):
        for rule in loaded.pack.rules:
            for test in rule.tests:
                diagnosis = _diagnose(load_incident(loaded.path.parent / test.incident), book, kg)
                fired = {step.rule for cause in diagnosis.causes for step in cause.chain}
                assert rule.id in fired, f"{rule.id} did not fire on {test.incident}"


@functools.cache
def _dbsherlock_report(infer_window: bool) -> EvalReport:
    book, kg = load_rulebook(), load_default_graph()
    return evaluate_cases(
        EvalCase.from_diagnosis(_diagnose(incident, book, kg, infer_window))
        for incident in dbsherlock_cases()
    )


def test_dbsherlock_accuracy_with_the_labelled_window() -> None:
    report = _dbsherlock_report(False)
    assert report.cases == 70
    assert report.top1 >= 0.95
    assert report.top3 == 1.0
    assert set(report.per_cause) == DBSHERLOCK_CAUSES
    assert all(score.recall >= 0.85 for score in report.per_cause.values())


def test_dbsherlock_accuracy_with_an_inferred_window() -> None:
    report = _dbsherlock_report(True)
    assert report.cases == 70
    assert report.top1 >= 0.9
