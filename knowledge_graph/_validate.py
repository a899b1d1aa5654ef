"""``kg check``: what loading tolerates but a reviewer should not.

Loading already reports broken files, dangling references and duplicate
aliases. On top of that a cause must be diagnosable (symptoms), verifiable (a
check) and actionable (a remediation), and every symptom must be observable.
Whether rule packs name causes and metrics the graph knows is the rules'
linter's question (``rules.lint.graph_references``), asked once for both
``rules lint`` and ``kg check --rules``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge_graph._graph import KnowledgeGraph
from knowledge_graph._loader import compile_graph
from models.problems import Problem

MIN_SYMPTOMS = 2


def check_graph(paths: Iterable[Path | str] | None = None) -> tuple[KnowledgeGraph, list[Problem]]:
    """Every problem in the graph files, sorted."""
    graph, problems = compile_graph(paths)
    problems.extend(completeness(graph))
    return graph, sorted(set(problems))


def _problem(graph: KnowledgeGraph, node_id: str, message: str) -> Problem:
    data = graph.node(node_id)
    return Problem(str(data["file"]), int(data["line"]), int(data["col"]), node_id, message)


def completeness(graph: KnowledgeGraph) -> list[Problem]:
    out: list[Problem] = []
    for cause in graph.cause_ids():
        symptoms = graph.symptoms_of(cause)
        if len(symptoms) < MIN_SYMPTOMS:
            out.append(
                _problem(graph, cause, f"cause produces {len(symptoms)} symptom(s); needs {MIN_SYMPTOMS}")
            )
        if not graph.checks_for(cause):
            out.append(_problem(graph, cause, "cause has no check that can show any of its symptoms"))
        if not graph.remediations(cause):
            out.append(_problem(graph, cause, "cause has no remediation"))
    produced = {s for c in graph.cause_ids() for s in graph.symptoms_of(c)}
    g = graph.graph
    for symptom in graph.node_ids("symptom"):
        if symptom not in produced:
            out.append(_problem(graph, symptom, "symptom is produced by no cause"))
        incoming = {d["type"] for _, _, d in g.in_edges(symptom, data=True)}
        outgoing = {d["type"] for _, _, d in g.out_edges(symptom, data=True)}
        shown = bool(graph.node(symptom).get("shown_by"))
        if "observed_by" not in outgoing and "reveals" not in incoming and not shown:
            message = "symptom is observed by no metric, shown by no fact and revealed by no check"
            out.append(_problem(graph, symptom, message))
    return out
