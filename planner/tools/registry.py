"""The default registry: the tools a graph check may name (``knowledge_graph.TOOLS``) and the history
tool, which no check names (its evidence is past verdicts, not a metric); nothing that writes."""

from __future__ import annotations

from planner.tools import graph_tools, history, metrics, workload
from planner.tools.base import NoArgs, Tool, ToolRegistry


def default_registry() -> ToolRegistry:
    reg = ToolRegistry()
    reg.register(
        Tool(
            "metric_summary",
            "one metric's level inside and outside the window",
            metrics.MetricArgs,
            metrics.metric_summary,
        )
    )
    reg.register(
        Tool(
            "compare_window",
            "how one metric moved in the window and the symptoms that shows",
            metrics.MetricArgs,
            metrics.compare_window,
        )
    )
    reg.register(
        Tool(
            "correlated_metrics",
            "metrics that move together with one metric",
            metrics.MetricArgs,
            metrics.correlated_metrics,
        )
    )
    reg.register(Tool("top_sql", "the heaviest statements", workload.TopSqlArgs, workload.top_sql))
    reg.register(
        Tool("lock_waits", "sessions waiting on locks and who blocks them", NoArgs, workload.lock_waits)
    )
    reg.register(
        Tool(
            "events_in_window",
            "config changes, failovers, backups near the window",
            NoArgs,
            workload.events_in_window,
        )
    )
    reg.register(Tool("settings", "configuration values", workload.SettingsArgs, workload.settings))
    reg.register(
        Tool(
            "kg_candidates",
            "causes the graph proposes for the symptoms seen",
            NoArgs,
            graph_tools.kg_candidates,
        )
    )
    reg.register(
        Tool("kg_best_checks", "the graph's most informative next checks", NoArgs, graph_tools.kg_best_checks)
    )
    reg.register(
        Tool(
            history.TOOL,
            "confirmed past incidents whose metrics moved like this one's",
            history.SimilarArgs,
            history.similar_incidents,
        )
    )
    return reg
