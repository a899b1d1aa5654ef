"""PostgreSQL's EXPLAIN (FORMAT JSON) as flat plan nodes: scans, joins and subplans, without filters."""

from __future__ import annotations

from typing import Any

from models import PlanNode, StatementPlan
from models.workload import PlanSource


def _number(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        else None
    )


def _walk(node: dict[str, Any], depth: int, out: list[PlanNode]) -> None:
    out.append(
        PlanNode(
            node_type=str(node.get("Node Type", "?")),
            parent=node.get("Parent Relationship"),
            relation=node.get("Relation Name"),
            index=node.get("Index Name"),
            join_type=node.get("Join Type"),
            estimated_rows=_number(node.get("Plan Rows")),
            total_cost=_number(node.get("Total Cost")),
            filtered="Filter" in node or "Join Filter" in node,
            depth=depth,
        )
    )
    for child in node.get("Plans") or []:
        if isinstance(child, dict):
            _walk(child, depth + 1, out)


def parse_plan(digest: str, document: Any, source: PlanSource) -> StatementPlan | None:
    """``document`` is the JSON PostgreSQL returns: a list holding one object with a ``Plan``."""
    top = document[0] if isinstance(document, list) and document else document
    plan = top.get("Plan") if isinstance(top, dict) else None
    if not isinstance(plan, dict):
        return None
    nodes: list[PlanNode] = []
    _walk(plan, 0, nodes)
    return StatementPlan(
        digest=digest, source=source, total_cost=_number(plan.get("Total Cost")), nodes=nodes
    )
