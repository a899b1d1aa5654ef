"""MariaDB/MySQL EXPLAIN FORMAT=JSON as flat plan nodes, named like PostgreSQL's where they mean the same.

The JSON names tables by alias; the caller passes the statement's alias map so
a node names the table itself. Attached conditions are not kept: a sample
text's literals appear in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models import PlanNode, StatementPlan

# access_type -> the PostgreSQL node type with the same meaning, so one rule reads both engines.
_ACCESS = {
    "ALL": "Seq Scan",
    "index": "Index Only Scan",
    "range": "Index Scan",
    "ref": "Index Scan",
    "eq_ref": "Index Scan",
    "ref_or_null": "Index Scan",
    "index_merge": "Bitmap Heap Scan",
    "fulltext": "Index Scan",
    "const": "Index Scan",
    "system": "Result",
}


def _number(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        else None
    )


def _walk(
    value: Any, depth: int, parent: str | None, aliases: Mapping[str, str], out: list[PlanNode]
) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            inner = parent if parent == "SubPlan" else ("Outer" if i == 0 else "Inner")
            _walk(item, depth, inner, aliases, out)
        return
    if not isinstance(value, dict):
        return
    table = value.get("table")
    if isinstance(table, dict) and "table_name" in table:
        alias = str(table["table_name"])
        access = str(table.get("access_type", ""))
        join = value.get("join_type") or ("Nested Loop" if parent == "Inner" else None)
        out.append(
            PlanNode(
                node_type=_ACCESS.get(access, access or "?"),
                parent=parent,
                relation=aliases.get(alias.lower(), alias),
                index=table.get("key"),
                join_type=str(join) if join else None,
                estimated_rows=_number(table.get("rows")),
                filtered="attached_condition" in table or "attached_condition" in value,
                depth=depth,
            )
        )
    for key, child in value.items():
        if key == "table":
            continue
        if key == "subqueries":
            _walk(child, depth + 1, "SubPlan", aliases, out)
        elif isinstance(child, dict | list):
            _walk(child, depth + (1 if key == "query_block" else 0), parent, aliases, out)


def parse_plan(digest: str, document: Any, aliases: Mapping[str, str]) -> StatementPlan | None:
    if not isinstance(document, dict) or "query_block" not in document:
        return None
    nodes: list[PlanNode] = []
    _walk(document, 0, None, aliases, nodes)
    block = document["query_block"]
    cost = (
        _number(block.get("cost") or block.get("cost_info", {}).get("query_cost"))
        if isinstance(block, dict)
        else None
    )
    return StatementPlan(digest=digest, source="sample", total_cost=cost, nodes=nodes)
