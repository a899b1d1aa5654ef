"""A node's neighbourhood as compact text: what explanations show and what LLM prompts quote.

One line per edge, indented by distance, with the edge's weight, direction or
risk, so a small model sees the domain facts in few tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge_graph._digraph import Digraph

_ORDER = {
    "produces": 0,
    "observed_by": 1,
    "leads_to": 2,
    "affects": 3,
    "measures": 4,
    "reveals": 5,
    "mitigates": 6,
}


def _edge_note(data: dict[str, Any]) -> str:
    if "weight" in data:
        return f" ({data['weight']:g})"
    if "direction" in data:
        return f" ({data['direction']})"
    if "risk" in data:
        return f" (risk {data['risk']})"
    return ""


_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "==", "ne": "!="}


def fact_test(test: dict[str, Any]) -> str:
    """``top_sql where share_of_time >= 0.2, correlated_subquery = true``, from a stored ``shown_by`` test."""
    parts: list[str] = []
    for key, want in test.get("where", {}).items():
        if isinstance(want, dict):
            parts.extend(f"{key} {_OPS[op]} {value:g}" for op, value in want.items() if value is not None)
        else:
            parts.append(f"{key} = {str(want).lower() if isinstance(want, bool) else want}")
    return str(test["fact"]) + (f" where {', '.join(parts)}" if parts else "")


def _label(graph: Digraph, node: str) -> str:
    data = graph.nodes[node]
    return f"{data['type']} {node}: {data.get('title') or node}"


def _edges(graph: Digraph, node: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    edges = [(d["type"], "->", dst, d) for _, dst, d in graph.out_edges(node)]
    edges += [(d["type"], "<-", src, d) for src, _, d in graph.in_edges(node)]
    return sorted(edges, key=lambda e: (_ORDER.get(e[0], 99), e[1], e[2]))


def neighbourhood(graph: Digraph, start: str, depth: int, notes: list[str]) -> str:
    """A tree of edges from ``start``: each node is expanded once, under the node that reached it first.

    ``notes`` are derived lines about ``start`` (e.g. its checks) placed under its title.
    """
    parent: dict[str, str | None] = {start: None}
    level = {start: 0}
    queue = [start]
    for node in queue:  # breadth-first, so every node hangs under its nearest ancestor
        if level[node] >= depth:
            continue
        for _, _, other, _ in _edges(graph, node):
            if other not in level:
                level[other] = level[node] + 1
                parent[other] = node
                queue.append(other)

    lines = [_label(graph, start), *(f"  {note}" for note in notes)]

    def expand(node: str) -> None:
        pad = "  " * (level[node] + 1)
        for kind, arrow, other, data in _edges(graph, node):
            if other == parent[node]:
                continue
            lines.append(f"{pad}{arrow} {kind}{_edge_note(data)} {_label(graph, other)}")
            if parent.get(other) == node and level[other] < depth:
                expand(other)

    if depth > 0:
        expand(start)
    return "\n".join(lines)
