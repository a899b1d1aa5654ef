"""``kg check``: what loading tolerates but a reviewer should not.

Loading already reports broken files, dangling references and duplicate
aliases. On top of that a cause must be diagnosable (symptoms), verifiable (a
check) and actionable (a remediation); every symptom must be observable; and
rule packs may only conclude causes, and test metrics, that the graph knows.
Rule packs are read as plain YAML so the graph does not depend on ``rules``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge_graph._graph import KnowledgeGraph
from knowledge_graph._loader import compile_graph
from knowledge_graph._problems import Problem
from knowledge_graph._yamlsource import YamlDocument, read_yaml

MIN_SYMPTOMS = 2


def check_graph(
    paths: Iterable[Path | str] | None = None, rule_dirs: Iterable[Path | str] = ()
) -> tuple[KnowledgeGraph, list[Problem]]:
    """Every problem in the graph files and in the rule packs under ``rule_dirs``, sorted."""
    graph, problems = compile_graph(paths)
    problems.extend(completeness(graph))
    for directory in rule_dirs:
        for pack in sorted(Path(directory).glob("*.yaml")) + sorted(Path(directory).glob("*.yml")):
            problems.extend(rule_pack_references(read_yaml(pack), graph))
    return graph, sorted(set(problems))


def _where(graph: KnowledgeGraph, node_id: str) -> tuple[str, int]:
    data = graph.node(node_id)
    return str(data.get("file", "?")), int(data.get("line", 0))


def completeness(graph: KnowledgeGraph) -> list[Problem]:
    out: list[Problem] = []
    for cause in graph.cause_ids():
        file, line = _where(graph, cause)
        symptoms = graph.symptoms_of(cause)
        if len(symptoms) < MIN_SYMPTOMS:
            out.append(
                Problem(
                    file, line, f"cause {cause!r} produces {len(symptoms)} symptom(s); needs {MIN_SYMPTOMS}"
                )
            )
        if not graph.checks_for(cause):
            out.append(Problem(file, line, f"cause {cause!r} has no check that can show any of its symptoms"))
        if not graph.remediations(cause):
            out.append(Problem(file, line, f"cause {cause!r} has no remediation"))
    produced = {s for c in graph.cause_ids() for s in graph.symptoms_of(c)}
    g = graph.graph
    for symptom in graph.node_ids("symptom"):
        file, line = _where(graph, symptom)
        if symptom not in produced:
            out.append(Problem(file, line, f"symptom {symptom!r} is produced by no cause"))
        incoming = {d["type"] for _, _, d in g.in_edges(symptom, data=True)}
        outgoing = {d["type"] for _, _, d in g.out_edges(symptom, data=True)}
        shown = bool(graph.node(symptom).get("shown_by"))
        if "observed_by" not in outgoing and "reveals" not in incoming and not shown:
            message = (
                f"symptom {symptom!r} is observed by no metric, shown by no fact and revealed by no check"
            )
            out.append(Problem(file, line, message))
    return out


def rule_pack_references(doc: YamlDocument, graph: KnowledgeGraph) -> list[Problem]:
    """Causes concluded and signal metrics tested by one rule pack that the graph lacks."""
    out = list(doc.problems)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return out
    for i, rule in enumerate(data["rules"]):
        if not isinstance(rule, dict):
            continue
        rid = str(rule.get("id", f"rules[{i}]"))
        then = rule.get("then")
        if (
            isinstance(then, dict)
            and isinstance(then.get("cause"), str)
            and not graph.has_cause(then["cause"])
        ):
            line = doc.line(("rules", i, "then", "cause"))
            out.append(Problem(doc.file, line, f"{rid}: concludes cause {then['cause']!r}, not in the graph"))
        when = rule.get("when")
        if not isinstance(when, dict):
            continue
        for block in ("all", "any", "none"):
            conditions = when.get(block)
            if not isinstance(conditions, list):
                continue
            for j, cond in enumerate(conditions):
                if isinstance(cond, dict) and isinstance(cond.get("signal"), str):
                    problem = _signal_problem(graph, cond["signal"])
                    if problem:
                        line = doc.line(("rules", i, "when", block, j, "signal"))
                        out.append(Problem(doc.file, line, f"{rid}: {problem}"))
    return out


def _signal_problem(graph: KnowledgeGraph, name: str) -> str | None:
    if graph.has_metric(name):
        return None
    canonical = graph.resolve_metric(name)
    if canonical is not None:
        return f"signal {name!r} is a vendor alias; use the canonical metric {canonical!r}"
    return f"signal {name!r} is not a metric in the graph"
