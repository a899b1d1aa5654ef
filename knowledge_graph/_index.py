"""Plain-dict views of the graph, built once, so every query is a few dictionary hits.

networkx is the source of truth (export, neighbourhoods, validation); the
queries that run per incident read these instead of walking adjacency views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge_graph._spec import RISK_ORDER


@dataclass
class GraphIndex:
    by_type: dict[str, list[str]] = field(default_factory=dict)
    produces: dict[str, dict[str, float]] = field(default_factory=dict)  # cause -> symptom -> weight
    producers: dict[str, dict[str, float]] = field(default_factory=dict)  # symptom -> cause -> weight
    observed_by: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # symptom -> (metric, dir)
    shows: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # metric -> (symptom, dir)
    check_symptoms: dict[str, frozenset[str]] = field(default_factory=dict)
    check_likelihood: dict[str, dict[str, float]] = field(default_factory=dict)  # check -> cause -> w
    cause_checks: dict[str, list[str]] = field(default_factory=dict)
    remediations: dict[str, list[str]] = field(default_factory=dict)  # cause -> ids, low risk first


def build_index(graph: Any) -> GraphIndex:
    idx = GraphIndex()
    for node, data in sorted(graph.nodes(data=True)):
        idx.by_type.setdefault(data["type"], []).append(node)
    for cause in idx.by_type.get("cause", []):
        idx.produces[cause] = {}
        idx.remediations[cause] = []
        idx.cause_checks[cause] = []
    for src, dst, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        kind = data["type"]
        if kind == "produces":
            idx.produces[src][dst] = float(data["weight"])
            idx.producers.setdefault(dst, {})[src] = float(data["weight"])
        elif kind == "observed_by":
            idx.observed_by.setdefault(src, []).append((dst, data["direction"]))
            idx.shows.setdefault(dst, []).append((src, data["direction"]))
        elif kind == "mitigates":
            idx.remediations[dst].append(src)
    for cause, ids in idx.remediations.items():
        ids.sort(key=lambda r: (RISK_ORDER[graph.nodes[r]["risk"]], r))
    for check in idx.by_type.get("check", []):
        touched: set[str] = set()
        for _, dst, data in graph.out_edges(check, data=True):
            if data["type"] == "reveals":
                touched.add(dst)
            elif data["type"] == "measures":
                touched.update(symptom for symptom, _ in idx.shows.get(dst, []))
        idx.check_symptoms[check] = frozenset(touched)
        likelihood: dict[str, float] = {}
        for symptom in sorted(touched):
            for cause, weight in idx.producers.get(symptom, {}).items():
                likelihood[cause] = max(likelihood.get(cause, 0.0), weight)
        idx.check_likelihood[check] = likelihood
        for cause in likelihood:
            idx.cause_checks[cause].append(check)
    return idx
