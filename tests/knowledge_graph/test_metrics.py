"""Metric alias resolution against the real DBSherlock header and vendor names."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge_graph import KnowledgeGraph, MetricAlias, MetricInfo, load_default_graph
from models import Fact
from tests.rules.signal_support import DBSHERLOCK

CASES = DBSHERLOCK / "cases"


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load_default_graph()


def _header() -> list[str]:
    with next(iter(sorted(CASES.glob("*.csv")))).open(newline="") as fh:
        return next(csv.reader(fh))


def test_every_dbsherlock_column_but_epoch_resolves(kg: KnowledgeGraph) -> None:
    header = _header()
    assert len(header) == 94
    unresolved = [name for name in header if kg.resolve_metric(name) is None]
    assert unresolved == ["Epoch"]


def test_every_case_file_shares_the_header() -> None:
    headers = set()
    for path in CASES.glob("*.csv"):
        with path.open(newline="") as fh:
            headers.add(tuple(next(csv.reader(fh))))
    assert len(headers) == 1


@pytest.mark.parametrize(
    ("vendor", "metric"),
    [
        ("Combined Avg Latency", "latency"),
        ("cpu_usr (core #1)", "cpu_user"),
        ("cpu_usr (core #4)", "cpu_user"),
        ("AvgCpuUser", "cpu_user"),
        ("cpu_idl (core #2)", "cpu_idle"),
        ("dbmsLockWaits", "row_lock_waits"),
        ("Innodb_row_lock_waits", "row_lock_waits"),
        ("innodb_row_lock_waits", "row_lock_waits"),
        ("Threads_running", "threads_running"),
        ("mysql_global_status_threads_running", "threads_running"),
        ("pg_stat_activity.active", "threads_running"),
        ("Connections", "connection_attempts"),
        ("Threads_connected", "open_connections"),
        ("DatabaseConnections", "open_connections"),
        ("pg_stat_database.xact_commit", "commits"),
        ("pg_stat_database_xact_commit", "commits"),
        ("pg_stat_user_tables.n_dead_tup", "dead_tuples"),
        ("pg_stat_checkpointer.num_requested", "checkpoints_requested"),
        ("CPUUtilization", "cpu_utilization"),
        ("EBSIOBalance%", "ebs_io_balance"),
        ("MaximumUsedTransactionIDs", "max_used_xids"),
        ("OldestReplicationSlotLag", "replication_slot_lag"),
        ('node_cpu_seconds_total{mode="iowait"}', "cpu_iowait"),
        ("osInterruptCount2", "interrupts_by_line"),
        ("cpu_saturation", None),
        ("Epoch", None),
        ("", None),
    ],
)
def test_resolve(kg: KnowledgeGraph, vendor: str, metric: str | None) -> None:
    assert kg.resolve_metric(vendor) == metric


def test_live_connection_share_is_a_percent_that_shows_the_limit_near(kg: KnowledgeGraph) -> None:
    """The collectors' share of max_connections is what says "full"; the count alone cannot."""
    for vendor in ("pg_stat_activity.connections_used_pct", "processlist.connections_used_pct"):
        assert kg.resolve_alias(vendor) == MetricAlias("connections_used_pct", 1.0, vendor)
    info = kg.metric_info("connections_used_pct")
    assert (info.unit, info.aggregate) == ("percent", "max")
    rising = Fact(kind="signal", name="connections_used_pct", attrs={"direction": "up", "confidence": 0.99})
    assert kg.observed_symptoms([rising]) == {"connection_limit_reached", "connections_up"}


def test_exact_case_wins_over_case_insensitive(kg: KnowledgeGraph) -> None:
    # MySQL's `Connections` counts attempts; the canonical id for open ones differs only in case.
    assert kg.resolve_metric("Connections") == "connection_attempts"
    assert kg.resolve_metric("CONNECTIONS") == "connection_attempts"
    assert kg.resolve_metric("connection_attempts") == "connection_attempts"


def test_scale_converts_vendor_units(kg: KnowledgeGraph) -> None:
    assert kg.resolve_alias("osNetworkSendKB") == MetricAlias("network_transmit", 1024.0, "osNetworkSendKB")
    assert kg.resolve_alias("ReadLatency") == MetricAlias("read_latency", 1000.0, "ReadLatency")
    assert kg.resolve_alias("cpu_sys (core #9)") == MetricAlias("cpu_system", 1.0, "cpu_sys (core #*)")


def test_metric_info(kg: KnowledgeGraph) -> None:
    info = kg.metric_info("cpu_user")
    assert info == MetricInfo("cpu_user", "percent", "mean", info.title, info.description)
    assert kg.metric_info("latency").unit == "ms"
    assert kg.metric_info("interrupts_by_line").aggregate == "sum"
    assert kg.has_metric("row_lock_waits")
    assert not kg.has_metric("lock_contention")
    with pytest.raises(KeyError, match="unknown metric 'nope'"):
        kg.metric_info("nope")


def test_every_metric_has_a_unit_and_aggregate(kg: KnowledgeGraph) -> None:
    for metric in kg.metric_ids():
        info = kg.metric_info(metric)
        assert info.unit
        assert info.aggregate in {"mean", "sum", "max"}


@given(st.text(max_size=40))
def test_resolution_is_a_function_of_the_name(name: str) -> None:
    kg = load_default_graph()
    first = kg.resolve_metric(name)
    assert kg.resolve_metric(name) == first
    assert first is None or kg.has_metric(first)


@given(st.sampled_from(sorted(load_default_graph().aliases())))
def test_every_alias_resolves_in_any_case(alias: str) -> None:
    kg = load_default_graph()
    target = kg.resolve_metric(alias)
    assert target is not None
    if "*" not in alias:
        # another alias may differ only in case (MySQL `Connections` vs `connections`); then exact wins
        twins = {kg.resolve_metric(a) for a in kg.aliases() if a.casefold() == alias.casefold()}
        assert kg.resolve_metric(alias.swapcase()) in twins
