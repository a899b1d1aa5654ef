"""Plain-dict views of the graph, built once, so every query is a few dictionary hits.

The graph itself is the source of truth (export, neighbourhoods, validation);
the queries that run per incident read these instead of walking its edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from knowledge_graph._digraph import Digraph
from knowledge_graph._spec import RISK_ORDER, FactTest

MAX_CHAIN = 2  # leads_to hops followed when a cause explains its consequences' symptoms


@dataclass
class GraphIndex:
    by_type: dict[str, list[str]] = field(default_factory=dict)
    symptoms: frozenset[str] = frozenset()
    produces: dict[str, dict[str, float]] = field(default_factory=dict)  # cause -> symptom -> weight
    producers: dict[str, dict[str, float]] = field(default_factory=dict)  # symptom -> cause -> weight
    leads_to: dict[str, dict[str, float]] = field(default_factory=dict)  # cause -> cause -> weight
    # produces, plus symptoms of the causes it leads to (weights multiplied along the chain)
    effective: dict[str, dict[str, float]] = field(default_factory=dict)
    effective_producers: dict[str, dict[str, float]] = field(default_factory=dict)
    observed_by: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # symptom -> (metric, dir)
    shows: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # metric -> (symptom, dir)
    fact_tests: dict[str, list[tuple[str, FactTest]]] = field(default_factory=dict)  # fact -> (symptom, test)
    check_symptoms: dict[str, frozenset[str]] = field(default_factory=dict)
    check_likelihood: dict[str, dict[str, float]] = field(default_factory=dict)  # check -> cause -> w
    check_ids: list[str] = field(default_factory=list)  # rows of check_matrix
    cause_columns: dict[str, int] = field(default_factory=dict)  # columns of check_matrix
    check_matrix: Any = None  # check × cause likelihood, for scoring all checks at once
    cause_checks: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # likeliest first
    remediations: dict[str, list[str]] = field(default_factory=dict)  # cause -> ids, low risk first


def build_index(graph: Digraph) -> GraphIndex:
    idx = GraphIndex()
    for node, data in sorted(graph.nodes.items()):
        idx.by_type.setdefault(data["type"], []).append(node)
    idx.symptoms = frozenset(idx.by_type.get("symptom", []))
    for symptom in idx.symptoms:
        for raw in graph.nodes[symptom].get("shown_by", []):
            test = FactTest.model_validate(raw)
            idx.fact_tests.setdefault(test.fact, []).append((symptom, test))
    for cause in idx.by_type.get("cause", []):
        idx.produces[cause] = {}
        idx.leads_to[cause] = {}
        idx.remediations[cause] = []
        idx.cause_checks[cause] = []
    for src, dst, data in sorted(graph.edges(), key=lambda e: (e[0], e[1])):
        kind = data["type"]
        if kind == "produces":
            idx.produces[src][dst] = float(data["weight"])
            idx.producers.setdefault(dst, {})[src] = float(data["weight"])
        elif kind == "observed_by":
            idx.observed_by.setdefault(src, []).append((dst, data["direction"]))
            idx.shows.setdefault(dst, []).append((src, data["direction"]))
        elif kind == "mitigates":
            idx.remediations[dst].append(src)
        elif kind == "leads_to":
            idx.leads_to[src][dst] = float(data["weight"])
    _effective(idx)
    for ids in idx.remediations.values():
        ids.sort(key=lambda r: (RISK_ORDER[graph.nodes[r]["risk"]], r))
    for check in idx.by_type.get("check", []):
        touched: set[str] = set()
        for _, dst, data in graph.out_edges(check):
            if data["type"] == "reveals":
                touched.add(dst)
            elif data["type"] == "measures":
                touched.update(symptom for symptom, _ in idx.shows.get(dst, []))
        idx.check_symptoms[check] = frozenset(touched)
        likelihood: dict[str, float] = {}
        direct: dict[str, float] = {}
        for symptom in sorted(touched):
            for cause, weight in idx.effective_producers.get(symptom, {}).items():
                likelihood[cause] = max(likelihood.get(cause, 0.0), weight)
            for cause, weight in idx.producers.get(symptom, {}).items():
                direct[cause] = max(direct.get(cause, 0.0), weight)
        idx.check_likelihood[check] = likelihood
        for cause, weight in direct.items():
            idx.cause_checks[cause].append((weight, check))
    for checks in idx.cause_checks.values():
        checks.sort(key=lambda wc: (-wc[0], wc[1]))
    idx.check_ids = sorted(idx.check_likelihood)
    idx.cause_columns = {cause: i for i, cause in enumerate(idx.by_type.get("cause", []))}
    idx.check_matrix = np.zeros((len(idx.check_ids), len(idx.cause_columns)))
    for row, check in enumerate(idx.check_ids):
        for cause, weight in idx.check_likelihood[check].items():
            idx.check_matrix[row, idx.cause_columns[cause]] = weight
    return idx


def _effective(idx: GraphIndex) -> None:
    """A cause also explains, more weakly, what the causes it leads to produce.

    A missing index leads to large scans, which lead to I/O contention: the
    root cause should get credit for the I/O symptoms too, discounted by the
    product of ``leads_to`` weights along the best chain of at most MAX_CHAIN hops.
    """
    for cause, produces in idx.produces.items():
        reach: dict[str, float] = {}
        frontier = {cause: 1.0}
        for _ in range(MAX_CHAIN):
            nxt: dict[str, float] = {}
            for source, strength in frontier.items():
                for target, weight in idx.leads_to.get(source, {}).items():
                    product = strength * weight
                    if target != cause and product > reach.get(target, 0.0):
                        reach[target] = nxt[target] = product
            frontier = nxt
        effective = dict(produces)
        for target, strength in sorted(reach.items()):
            for symptom, weight in idx.produces[target].items():
                effective[symptom] = max(effective.get(symptom, 0.0), strength * weight)
        idx.effective[cause] = effective
        for symptom, weight in effective.items():
            idx.effective_producers.setdefault(symptom, {})[cause] = weight
