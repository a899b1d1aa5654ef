"""The graph in interchange formats: GraphML and JSON through networkx, DOT written here.

DOT is simple enough that requiring pydot for it would be a poor trade. Node
attributes that are lists or mappings (engines, check args) are flattened to
JSON text for GraphML, which only holds scalars.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

from knowledge_graph._graph import KnowledgeGraph

FORMATS: tuple[str, ...] = ("graphml", "dot", "json")
_SKIP = frozenset({"file", "line", "col"})
_SHAPES = {
    "cause": "box",
    "symptom": "ellipse",
    "metric": "note",
    "component": "component",
    "check": "diamond",
    "remediation": "hexagon",
}


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True)


def _flat_copy(kg: KnowledgeGraph) -> Any:
    import networkx as nx

    graph = nx.DiGraph()
    source = kg.graph
    for node, data in sorted(source.nodes(data=True)):
        graph.add_node(node, **{k: _scalar(v) for k, v in data.items() if k not in _SKIP})
    for src, dst, data in sorted(source.edges(data=True), key=lambda e: (e[0], e[1])):
        graph.add_edge(src, dst, **{k: _scalar(v) for k, v in data.items() if k not in _SKIP})
    return graph


def to_graphml(kg: KnowledgeGraph) -> str:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(_flat_copy(kg), buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def to_json(kg: KnowledgeGraph) -> str:
    import networkx as nx

    data = nx.node_link_data(_flat_copy(kg), edges="edges")
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(kg: KnowledgeGraph) -> str:
    source = kg.graph
    lines = ["digraph knowledge_graph {", "  rankdir=LR;", "  node [fontsize=10];"]
    for node, data in sorted(source.nodes(data=True)):
        shape = _SHAPES.get(data["type"], "box")
        label = f"{data.get('title') or node}\n({data['type']})"
        lines.append(f"  {_quote(node)} [shape={shape}, label={_quote(label)}];")
    for src, dst, data in sorted(source.edges(data=True), key=lambda e: (e[0], e[1])):
        note = data["type"]
        for key in ("weight", "direction", "risk"):
            if key in data:
                note += f" {data[key]:g}" if key == "weight" else f" {data[key]}"
        lines.append(f"  {_quote(src)} -> {_quote(dst)} [label={_quote(note)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def export(kg: KnowledgeGraph, fmt: str) -> str:
    """The graph as text in ``fmt`` (one of ``FORMATS``); ``ValueError`` for another."""
    writers = {"graphml": to_graphml, "dot": to_dot, "json": to_json}
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](kg)


def stats(kg: KnowledgeGraph) -> dict[str, dict[str, int]]:
    """Counts of nodes per type, edges per type, and aliases."""
    source = kg.graph
    nodes = Counter(str(d["type"]) for _, d in source.nodes(data=True))
    edges = Counter(str(d["type"]) for _, _, d in source.edges(data=True))
    vendor = [a for a in kg.aliases() if not kg.has_metric(a)]
    return {
        "nodes": dict(sorted(nodes.items())),
        "edges": dict(sorted(edges.items())),
        "aliases": {"vendor_names": len(vendor), "glob_patterns": sum("*" in a for a in vendor)},
    }
