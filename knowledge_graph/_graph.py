"""The knowledge graph's query API: what rules, ranking, explanations and the planner ask of it."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from copy import deepcopy
from typing import Any

import numpy as np

from knowledge_graph import _infogain, _ranking, _render
from knowledge_graph._aliases import AliasTable
from knowledge_graph._digraph import Digraph
from knowledge_graph._index import GraphIndex, build_index
from knowledge_graph._types import Check, MetricAlias, MetricInfo, MetricShare, RankedCause
from models.diagnosis import Remediation
from models.facts import Fact


class KnowledgeGraph:
    """Typed nodes (cause, symptom, metric, component, check, remediation) and weighted edges.

    Immutable once built: ``load_default_graph`` shares one instance, so no
    query may change it. ``graph`` is a frozen networkx copy for export and
    custom traversals, built when first asked for.
    """

    def __init__(self, graph: Digraph, aliases: AliasTable) -> None:
        self._graph = graph
        self._aliases = aliases
        self._idx: GraphIndex = build_index(graph)
        self._metrics = frozenset(self._idx.by_type.get("metric", []))  # asked of every fact, every incident
        self._nx: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Without the networkx copy, so unpickling never imports networkx."""
        return {**self.__dict__, "_nx": None}

    # -- nodes ---------------------------------------------------------------------------------
    @property
    def graph(self) -> Any:
        """The graph as a frozen ``networkx.DiGraph``."""
        if self._nx is None:
            self._nx = self._graph.to_networkx()
        return self._nx

    def node_ids(self, node_type: str | None = None) -> list[str]:
        if node_type is None:
            return sorted(self._graph.nodes)
        return list(self._idx.by_type.get(node_type, []))

    def has_node(self, node_id: str) -> bool:
        return node_id in self._graph

    def node_type(self, node_id: str) -> str:
        return str(self._node(node_id)["type"])

    def node(self, node_id: str) -> dict[str, Any]:
        """A copy of the node's attributes (type, title, file, line and its type's fields)."""
        return deepcopy(self._node(node_id))

    def title(self, node_id: str) -> str:
        """Human title of a node; the id itself when unknown, so displays never fail."""
        data = self._graph.nodes.get(node_id)
        return str(data.get("title") or node_id) if data else node_id

    def cause_ids(self, engine: str | None = None) -> list[str]:
        """All cause ids, or those that apply to ``engine`` (a cause listing no engines applies to all)."""
        causes = self._idx.by_type.get("cause", [])
        if engine is None:
            return list(causes)
        nodes = self._graph.nodes
        return [c for c in causes if not nodes[c]["engines"] or engine in nodes[c]["engines"]]

    def has_cause(self, cause_id: str) -> bool:
        return cause_id in self._idx.produces

    # -- metrics -------------------------------------------------------------------------------
    def metric_ids(self) -> list[str]:
        return list(self._idx.by_type.get("metric", []))

    def has_metric(self, metric_id: str) -> bool:
        return metric_id in self._metrics

    def resolve_metric(self, vendor_name: str) -> str | None:
        """Canonical id for a vendor name (exact, then case-insensitive, then glob), or ``None``."""
        found = self._aliases.resolve(vendor_name)
        return found.metric if found else None

    def resolve_alias(self, vendor_name: str) -> MetricAlias | None:
        """Like ``resolve_metric`` but with the unit scale and the alias that matched."""
        return self._aliases.resolve(vendor_name)

    def aliases(self) -> list[str]:
        return self._aliases.names()

    def metric_info(self, metric_id: str) -> MetricInfo:
        if not self.has_metric(metric_id):
            raise KeyError(f"unknown metric {metric_id!r}")
        data = self._graph.nodes[metric_id]
        return MetricInfo(metric_id, data["unit"], data["aggregate"], data["title"], data["description"])

    def shares(self) -> list[MetricShare]:
        """The metrics computed from others per sample, in authoring order."""
        nodes = self._graph.nodes
        return [
            MetricShare(m, nodes[m]["share"]["part"], tuple(nodes[m]["share"]["of"]))
            for m in self.metric_ids()
            if "share" in nodes[m]
        ]

    # -- causes --------------------------------------------------------------------------------
    def symptoms_of(self, cause_id: str) -> dict[str, float]:
        """Symptoms a cause produces, with how likely each is."""
        return dict(self._idx.produces.get(cause_id, {}))

    def observed_by(self, symptom_id: str) -> list[tuple[str, str]]:
        """The metrics that show a symptom, each with the direction (``up``/``down``), in authoring order."""
        if not self.has_node(symptom_id):
            return []
        return [
            (metric, str(data.get("direction", "")))
            for _src, metric, data in self._graph.out_edges(symptom_id)
            if data.get("type") == "observed_by"
        ]

    def remediations(self, cause_id: str) -> list[Remediation]:
        """Remediations for a cause, lowest risk first; none for an unknown cause."""
        out = []
        for rid in self._idx.remediations.get(cause_id, []):
            data = self._graph.nodes[rid]
            out.append(
                Remediation(id=rid, title=data["title"], risk=data["risk"], description=data["description"])
            )
        return out

    def checks_for(self, cause_id: str) -> list[Check]:
        """Checks that can show some symptom of the cause, the likeliest to show one first."""
        return [self._check(c, 0.0) for _, c in self._idx.cause_checks.get(cause_id, [])]

    # -- evidence ------------------------------------------------------------------------------
    def _canonical(self, facts: Iterable[Fact]) -> Mapping[str, str | None]:
        """The metric id of each fact's name (and of names seen before: the graph never changes, and
        every incident names the same few hundred metrics)."""
        known = _CANONICAL.get(self)
        if known is None or len(known) >= _CANONICAL_KEPT:
            known = _CANONICAL[self] = {}
        for fact in facts:
            name = fact.name
            if name not in known:
                known[name] = name if name in self._metrics else self.resolve_metric(name)
        return known

    def observed_symptoms(self, signals: Sequence[Fact]) -> set[str]:
        """Symptoms shown by the facts.

        A signal fact shows a symptom when its metric observes the symptom, its
        ``direction`` matches the edge's and its ``confidence`` is at least 0.5.
        A derived or observation fact with certainty at least 0.5 shows the
        symptom it is named after (how planner tools report what they saw) and
        every symptom whose ``shown_by`` test it passes (``top_sql``, ``lock_waits``,
        ``event`` and ``settings`` observations).
        """
        return set(_ranking.evidence(self._idx, signals, self._canonical(signals)).observed)

    def rank(self, certainties: Mapping[str, float], signals: Sequence[Fact]) -> list[RankedCause]:
        """Causes best first; see ``knowledge_graph._ranking`` for the score.

        Every cause given is returned (none is dropped); ``primary`` marks those
        that explain an observed symptom no other cause explains, so a compound
        incident shows each of its causes.
        """
        return _ranking.rank(
            self._idx, certainties, _ranking.evidence(self._idx, signals, self._canonical(signals))
        )

    def candidate_causes(self, symptoms: Iterable[str]) -> list[tuple[str, float]]:
        """Causes that would explain the symptoms, by the F1 of weighted precision and recall.

        Precision: how much of the observed set the cause explains (also through
        the causes it leads to); recall: how much of what the cause itself
        produces was observed. Causes explaining nothing are left out.
        """
        shown = sorted(set(symptoms))
        if not shown:
            return []
        causes: set[str] = set()
        for symptom in shown:
            causes.update(self._idx.effective_producers.get(symptom, {}))
        out = []
        for cause in sorted(causes):
            produces = self._idx.produces[cause]
            effective = self._idx.effective[cause]
            total = sum(produces[s] for s in sorted(produces))
            precision = sum(effective.get(s, 0.0) for s in shown) / len(shown)
            recall = sum(produces.get(s, 0.0) for s in shown) / total if total else 0.0
            score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            if score > 0.0:
                out.append((cause, score))
        out.sort(key=lambda pair: (-pair[1], pair[0]))
        return out

    def best_checks(
        self, candidates: Sequence[str] | Mapping[str, float], done: Iterable[str] = (), k: int = 3
    ) -> list[Check]:
        """Checks not yet done, by expected information gain over the candidates.

        ``candidates`` is a list (uniform prior) or a mapping of cause to prior
        weight, e.g. the current certainties; unknown causes and non-positive
        weights are ignored. With fewer than two candidates there is nothing to
        separate; the checks most likely to confirm the one candidate come first.
        """
        if isinstance(candidates, Mapping):
            prior = {c: float(w) for c, w in candidates.items() if c in self._idx.produces and w > 0}
        else:
            prior = {c: 1.0 for c in candidates if c in self._idx.produces}
        names, probs = _infogain.normalise(prior)
        idx = self._idx
        gains, confirm = _infogain.gains(idx.check_matrix, [idx.cause_columns[c] for c in names], probs)
        skip = set(done)
        # rounded so that float noise between symmetric checks does not decide their order
        rows = [
            (gain, conf, check)
            for gain, conf, check in zip(
                np.round(gains, 12).tolist(), confirm.tolist(), idx.check_ids, strict=True
            )
            if conf > 0.0 and check not in skip
        ]
        rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
        return [self._check(check, gain) for gain, _, check in rows[: max(0, k)]]

    def _check(self, check_id: str, gain: float) -> Check:
        data = self._graph.nodes[check_id]
        args = deepcopy(data["args"])
        metric = args.get("metric") if isinstance(args.get("metric"), str) else None
        if metric is None:
            measured = sorted(dst for _, dst, d in self._graph.out_edges(check_id) if d["type"] == "measures")
            metric = measured[0] if measured else None
        return Check(check_id, data["title"], data["tool"], args, metric, gain)

    # -- text ----------------------------------------------------------------------------------
    def neighbourhood_text(self, node_id: str, depth: int = 1) -> str:
        """Compact text of a node and the nodes within ``depth`` edges, for explanations and prompts."""
        notes = [f"shown by: {_render.fact_test(test)}" for test in self._node(node_id).get("shown_by", [])]
        if node_id in self._idx.cause_checks:
            checks = [c for _, c in self._idx.cause_checks[node_id]]
            notes.append(f"checks: {', '.join(checks) if checks else '(none)'}")
        return _render.neighbourhood(self._graph, node_id, depth, notes)

    def _node(self, node_id: str) -> dict[str, Any]:
        data: dict[str, Any] | None = self._graph.nodes.get(node_id)
        if data is None:
            raise KeyError(f"unknown node {node_id!r}")
        return data


# Per graph, the metric id behind each fact name ranked so far (``KnowledgeGraph._canonical``); held
# apart from the instance so a graph unpickled from the on-disk cache needs no rebuilt state.
_CANONICAL: weakref.WeakKeyDictionary[KnowledgeGraph, dict[str, str | None]] = weakref.WeakKeyDictionary()
_CANONICAL_KEPT = 4096
