from __future__ import annotations

import pytest

from knowledge_graph import TOOLS
from models import PlanStep
from planner.tools import IncidentSource, ToolArgsError, ToolContext, default_registry
from tests.planner.fakes import KG, incident

CONTRACT_TOOLS = [
    "compare_window",
    "correlated_metrics",
    "events_in_window",
    "kg_best_checks",
    "kg_candidates",
    "lock_waits",
    "metric_summary",
    "settings",
    "similar_incidents",
    "top_sql",
]


def ctx() -> ToolContext:
    inc = incident(settings={"max_connections": "100", "innodb_buffer_pool_size": "128M"})
    return ToolContext(source=IncidentSource(inc), graph=KG, window=inc.window)


def run(tool: str, **args: object) -> object:
    return default_registry().run(PlanStep(id="s1", tool=tool, args=dict(args)), ctx())


def test_registry_holds_exactly_the_contract_tools() -> None:
    # every tool a graph check may name runs; the history tool is offered by the planner, never by a check
    assert default_registry().names() == CONTRACT_TOOLS
    assert sorted(TOOLS) == sorted(set(CONTRACT_TOOLS) - {"similar_incidents"})


def test_unknown_tool_and_bad_args_are_rejected_before_running() -> None:
    reg = default_registry()
    with pytest.raises(ToolArgsError, match="unknown tool 'drop_table'"):
        reg.validate("drop_table", {})
    with pytest.raises(ToolArgsError, match="top_sql: order_by"):
        reg.validate("top_sql", {"order_by": "DROP TABLE x"})
    with pytest.raises(ToolArgsError, match="lock_waits: sql: Extra inputs are not permitted"):
        reg.validate("lock_waits", {"sql": "DELETE FROM t"})
    with pytest.raises(ToolArgsError, match="metric_summary: metric"):
        reg.validate("metric_summary", {"metric": "cpu; DROP"})


def test_compare_window_reports_the_signal_and_the_symptoms_it_shows() -> None:
    result = default_registry().run(
        PlanStep(id="s2", tool="compare_window", args={"metric": "cpu_user"}), ctx()
    )
    assert result.ok, result.error
    signal = next(f for f in result.facts if f.kind == "signal")
    assert (signal.name, signal.attrs["direction"], signal.source) == ("cpu_user", "up", "s2")
    # two per-core columns are averaged: (10+12)/2 -> (90+88)/2
    assert signal.attrs["baseline"] == pytest.approx(11.0, rel=0.03)
    assert signal.attrs["anomaly"] == pytest.approx(89.0, rel=0.03)
    assert [f.name for f in result.facts if f.kind == "observation"] == ["cpu_high"]
    assert result.data["symptoms"] == ["cpu_high"]


def test_flat_metric_shows_no_symptom() -> None:
    result = default_registry().run(
        PlanStep(id="s1", tool="compare_window", args={"metric": "disk_read"}), ctx()
    )
    assert result.ok
    assert [f.kind for f in result.facts] == ["signal"]
    assert result.summary.endswith("shows no known symptom")


def test_missing_metric_is_a_failed_result_not_an_exception() -> None:
    result = default_registry().run(
        PlanStep(id="s1", tool="metric_summary", args={"metric": "nosuch"}), ctx()
    )
    assert not result.ok
    assert result.error == "LookupError: no series for metric 'nosuch'"


def test_correlated_metrics_finds_what_moved_together() -> None:
    result = default_registry().run(
        PlanStep(id="s1", tool="correlated_metrics", args={"metric": "cpu_user"}), ctx()
    )
    assert result.ok
    assert list(result.data["correlated"]) == ["latency"]
    assert [(f.name, f.attrs["other"]) for f in result.facts] == [("metric_correlation", "latency")]


def test_workload_tools_emit_the_rules_observation_names() -> None:
    sql = default_registry().run(PlanStep(id="s1", tool="top_sql", args={"order_by": "calls"}), ctx())
    assert [f.name for f in sql.facts] == ["top_sql", "top_sql"]
    assert {f.source for f in sql.facts} == {"s1"}
    assert sql.data["statements"][0]["digest"] == "d1"
    locks = default_registry().run(PlanStep(id="s2", tool="lock_waits"), ctx())
    assert [(f.name, f.attrs["count"]) for f in locks.facts] == [("lock_waits", 1.0)]
    events = default_registry().run(PlanStep(id="s3", tool="events_in_window"), ctx())
    assert [(f.name, f.attrs["kind"]) for f in events.facts] == [("event", "deploy")]
    settings = default_registry().run(
        PlanStep(id="s4", tool="settings", args={"names": ["max_connections"]}), ctx()
    )
    assert settings.data["settings"] == {"max_connections": "100"}
    assert settings.facts[0].attrs["max_connections"] == 100.0


def test_graph_tools_read_the_candidates_of_what_was_seen() -> None:
    from rules.signals import extract_signals

    c = ctx()
    c.signals = extract_signals(incident(), KG).facts
    c.candidates = ["cpu_saturation", "io_saturation"]
    cands = default_registry().run(PlanStep(id="s1", tool="kg_candidates"), c)
    assert cands.data["symptoms"] == ["cpu_high", "latency_high"]
    assert list(cands.data["candidates"]) == ["cpu_saturation", "lock_contention", "io_saturation"]
    checks = default_registry().run(PlanStep(id="s2", tool="kg_best_checks"), c)
    # the heaviest SQL shows both candidates' symptoms: it separates nothing, so it comes last
    assert [row["id"] for row in checks.data["checks"]] == [
        "compare_window_cpu_user",
        "compare_window_disk_read",
        "top_sql_total_time",
    ]
