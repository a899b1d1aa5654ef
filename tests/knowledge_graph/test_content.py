"""The shipped graph holds what the contracts promise and reads like DBA knowledge."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_graph import TOOLS, KnowledgeGraph, check_graph
from rules.book import check_references
from tests.knowledge_graph.conftest import signal

CONTRACT_CAUSES = [
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
    "missing_index",
    "redundant_indexes",
    "dead_tuples_vacuum",
    "large_table_scan",
    "large_inserts",
    "large_updates_deletes",
    "large_fetches",
    "poor_join",
    "correlated_subquery",
    "complex_boolean_expression",
    "disk_spill",
    "stale_statistics",
    "abnormal_plan_time",
    "cpu_contention",
    "io_contention",
    "memory_contention",
    "network_contention",
    "workload_contention",
    "storage_full",
    "iops_exhaustion",
    "burst_credit_exhaustion",
    "connection_exhaustion",
    "replication_lag",
    "long_running_transaction",
    "idle_in_transaction",
    "txid_wraparound_risk",
    "checkpoint_storm",
    "memory_pressure_swapping",
    "parameter_change",
    "failover",
    "plan_regression",
    "hot_rows",
]
DBSHERLOCK = CONTRACT_CAUSES[:10]
RULE_PACKS = Path(__file__).resolve().parents[2] / "rules" / "packs"


def test_every_contract_cause_is_in_the_graph(kg: KnowledgeGraph) -> None:
    assert sorted(set(CONTRACT_CAUSES) - set(kg.cause_ids())) == []


@pytest.mark.parametrize("cause", CONTRACT_CAUSES)
def test_each_cause_is_diagnosable_checkable_and_actionable(kg: KnowledgeGraph, cause: str) -> None:
    assert len(kg.symptoms_of(cause)) >= 2
    assert kg.checks_for(cause)
    remediations = kg.remediations(cause)
    assert remediations
    assert all(len(r.description) > 80 for r in remediations), "remediation text must be concrete"


def test_checks_name_planner_tools(kg: KnowledgeGraph) -> None:
    tools = {kg.node(c)["tool"] for c in kg.node_ids("check")}
    assert tools <= set(TOOLS)
    assert {"compare_window", "top_sql", "lock_waits", "events_in_window", "settings"} <= tools


def test_lock_contention_remediation_names_the_tools_a_dba_uses(kg: KnowledgeGraph) -> None:
    text = " ".join(r.description for r in kg.remediations("lock_contention"))
    for needle in ("pg_blocking_pids", "sys.innodb_lock_waits", "lock_timeout", "innodb_lock_wait_timeout"):
        assert needle in text
    risks = [r.risk for r in kg.remediations("lock_contention")]
    assert risks == sorted(risks, key=["low", "medium", "high"].index)


def test_shipped_graph_and_rule_packs_pass_kg_check() -> None:
    graph, problems = check_graph(None)
    assert [str(p) for p in [*problems, *check_references([RULE_PACKS], graph)]] == []


def test_lock_signals_rank_lock_contention_first(kg: KnowledgeGraph) -> None:
    facts = [
        signal("row_lock_waits", "up", 0.95),
        signal("row_lock_time", "up", 0.9),
        signal("latency", "up", 0.9),
        signal("commits", "down", 0.8),
        signal("cpu_idle", "up", 0.7),
        signal("cpu_user", "down", 0.7),
        signal("disk_utilization", "none", 0.1),
        signal("read_iops", "none", 0.1),
    ]
    ranked = kg.rank(dict.fromkeys(DBSHERLOCK, 0.5), facts)
    assert ranked[0].cause == "lock_contention"


def test_host_cpu_signals_rank_cpu_saturation_first(kg: KnowledgeGraph) -> None:
    facts = [
        signal("cpu_user", "up", 0.95),
        signal("cpu_idle", "down", 0.95),
        signal("processes_running", "up", 0.9),
        signal("latency", "up", 0.9),
        signal("commits", "down", 0.8),
        signal("logical_reads", "none", 0.1),
        signal("table_scan_rows", "none", 0.1),
        signal("row_lock_waits", "none", 0.1),
    ]
    ranked = kg.rank(dict.fromkeys(DBSHERLOCK, 0.5), facts)
    assert ranked[0].cause == "cpu_saturation"


def test_candidates_for_vacuum_symptoms(kg: KnowledgeGraph) -> None:
    top = [
        cause for cause, _ in kg.candidate_causes({"dead_tuples_up", "old_transaction", "storage_growth"})[:3]
    ]
    assert "long_running_transaction" in top
    assert "dead_tuples_vacuum" in top


def test_causes_by_engine(kg: KnowledgeGraph) -> None:
    postgres = kg.cause_ids("postgres")
    mysql = kg.cause_ids("mysql")
    assert "dead_tuples_vacuum" in postgres and "dead_tuples_vacuum" not in mysql
    assert "flush_log_table" in mysql and "flush_log_table" not in postgres
    assert "lock_contention" in postgres and "lock_contention" in mysql
    assert set(postgres) | set(mysql) == set(kg.cause_ids())
