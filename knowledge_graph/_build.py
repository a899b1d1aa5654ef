"""Authoring documents to one typed graph, collecting every problem instead of stopping.

Each entry is validated on its own so one bad cause does not hide the rest of a
file, and every reference is checked against the merged node set so a typo in
one file is reported at its own line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from knowledge_graph._aliases import AliasTable
from knowledge_graph._digraph import Digraph
from knowledge_graph._spec import (
    METRIC_TOOLS,
    NODE_ID,
    NODE_SECTIONS,
    TOP_SQL_ORDERS,
    AliasEntry,
    AliasSpec,
    CauseSpec,
    CheckSpec,
    ComponentSpec,
    MetricSpec,
    RemediationSpec,
    SymptomSpec,
)
from knowledge_graph._types import MetricAlias
from models.problems import NO_SUBJECT, Problem
from sources.yamlfile import YamlFile, YamlPath

_SPECS: dict[str, type[BaseModel]] = {
    "metrics": MetricSpec,
    "symptoms": SymptomSpec,
    "components": ComponentSpec,
    "causes": CauseSpec,
    "checks": CheckSpec,
    "remediations": RemediationSpec,
}
_ALIAS_LIST: TypeAdapter[list[AliasEntry]] = TypeAdapter(list[AliasEntry])
_ID_RE = re.compile(NODE_ID)
# Spec fields that become edges (or the alias table) rather than node attributes.
_EDGE_FIELDS = frozenset(
    {"aliases", "produces", "affects", "leads_to", "observed_by", "measures", "reveals", "mitigates"}
)


class _AliasList(BaseModel):
    """An ``aliases:`` entry (a bare list in YAML) wrapped so every entry carries a model."""

    names: list[AliasEntry]


@dataclass
class BuiltGraph:
    graph: Digraph
    aliases: AliasTable
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Entry:
    doc: YamlFile
    section: str
    id: str
    spec: BaseModel

    def at(self, *path: str | int) -> tuple[str, int, int]:
        """File, line and column of the entry's key, or of ``path`` inside it."""
        line, col = self.doc.position((self.section, self.id, *path), key=True)
        return self.doc.file, line, col

    def problem(self, message: str, *path: str | int) -> Problem:
        return Problem(*self.at(*path), self.id, message)


def _node_of(path: YamlPath) -> tuple[str, int]:
    """The node a path in a graph file belongs to (``section.id...``), and the length of its own path."""
    return (str(path[1]), 2) if len(path) >= 2 else (NO_SUBJECT, 0)


def _owned(doc: YamlFile, problem: Problem) -> Problem:
    """A reader's problem inside a node's entry (a duplicate key there) carries the node's id."""
    return replace(problem, subject=_node_of(doc.paths.get(problem, ()))[0])


def _entries(docs: Iterable[YamlFile], problems: list[Problem]) -> tuple[list[_Entry], list[_Entry]]:
    """Validated node entries, and alias-only entries (spec is a wrapper of the alias list)."""
    nodes: list[_Entry] = []
    alias_only: list[_Entry] = []
    for doc in docs:
        problems.extend(_owned(doc, p) for p in doc.problems)
        if doc.data is None:  # unreadable, or an empty file: an empty graph file
            continue
        if not isinstance(doc.data, dict):
            problems.append(doc.problem((), NO_SUBJECT, "a graph file is a mapping of sections"))
            continue
        for section, body in doc.data.items():
            if section not in _SPECS and section != "aliases":
                known = ", ".join([*_SPECS, "aliases"])
                problems.append(
                    doc.problem((section,), NO_SUBJECT, f"unknown section {section!r} ({known})", key=True)
                )
                continue
            if body is None:
                continue
            if not isinstance(body, dict):
                problems.append(
                    doc.problem((section,), NO_SUBJECT, f"{section}: expected a mapping of ids", key=True)
                )
                continue
            for node_id, raw in body.items():
                key = str(node_id)
                try:
                    if section == "aliases":
                        alias_only.append(
                            _Entry(doc, section, key, _AliasList(names=_ALIAS_LIST.validate_python(raw)))
                        )
                    else:
                        nodes.append(_Entry(doc, section, key, _SPECS[section].model_validate(raw)))
                except ValidationError as exc:
                    problems.extend(doc.validation_problems(exc, (section, key), _node_of))
    return nodes, alias_only


def build(docs: Iterable[YamlFile]) -> BuiltGraph:
    problems: list[Problem] = []
    nodes, alias_only = _entries(docs, problems)
    graph = Digraph()
    defined: dict[str, _Entry] = {}
    for entry in nodes:
        if not _ID_RE.match(entry.id):
            problems.append(entry.problem("id is not snake_case"))
            continue
        first = defined.get(entry.id)
        if first is not None:
            file, line, col = first.at()
            problems.append(entry.problem(f"duplicate id (first at {file}:{line}:{col})"))
            continue
        defined[entry.id] = entry
        attrs = entry.spec.model_dump(exclude=set(_EDGE_FIELDS), exclude_none=True)
        file, line, col = entry.at()
        graph.add_node(entry.id, type=NODE_SECTIONS[entry.section], file=file, line=line, col=col, **attrs)
    aliases = _aliases(defined, alias_only, problems)
    _shares(defined, problems)
    _edges(graph, defined, problems)
    return BuiltGraph(graph, aliases, problems)


def _aliases(defined: dict[str, _Entry], alias_only: list[_Entry], problems: list[Problem]) -> AliasTable:
    table = AliasTable()
    metrics = {k: e for k, e in defined.items() if e.section == "metrics"}
    for metric_id in metrics:
        table.add(metric_id, MetricAlias(metric_id, 1.0, metric_id))
    pending: list[tuple[_Entry, list[AliasEntry]]] = [
        (e, list(e.spec.aliases)) for e in metrics.values() if isinstance(e.spec, MetricSpec)
    ]
    for entry in alias_only:
        if entry.id not in metrics:
            problems.append(entry.problem("aliases for an unknown metric"))
        elif isinstance(entry.spec, _AliasList):
            pending.append((entry, entry.spec.names))
    for entry, names in pending:
        metric_id = entry.id
        for index, raw in enumerate(names):
            alias = raw if isinstance(raw, AliasSpec) else AliasSpec(name=raw)
            clash = table.add(alias.name, MetricAlias(metric_id, alias.scale, alias.name))
            if clash is not None:
                path: tuple[str | int, ...] = ("aliases", index) if entry.section == "metrics" else (index,)
                problems.append(entry.problem(clash, *path))
    return table


def _shares(defined: dict[str, _Entry], problems: list[Problem]) -> None:
    """A share is computed from measured metrics: each input a metric, the part among the whole."""
    for entry in defined.values():
        spec = entry.spec
        if not isinstance(spec, MetricSpec) or spec.share is None:
            continue
        share = spec.share
        for i, name in enumerate([share.part, *share.of]):
            path: tuple[str | int, ...] = ("share", "part") if i == 0 else ("share", "of", i - 1)
            found = defined.get(name)
            if found is None or found.section != "metrics":
                problems.append(entry.problem(f"share of unknown metric {name!r}", *path))
            elif isinstance(found.spec, MetricSpec) and found.spec.share is not None:
                problems.append(entry.problem(f"share of {name!r}, itself a share", *path))
        if share.part not in share.of:
            problems.append(entry.problem(f"share part {share.part!r} is not among of", "share", "part"))
        if spec.unit != "percent":
            problems.append(entry.problem(f"a share is in percent, not {spec.unit!r}", "unit"))


def _edges(graph: Digraph, defined: dict[str, _Entry], problems: list[Problem]) -> None:
    def link(
        entry: _Entry, path: tuple[str | int, ...], target: str, kind: str, want: str, **attrs: Any
    ) -> None:
        found = defined.get(target)
        if found is None:
            problems.append(entry.problem(f"{kind} unknown {want} {target!r}", *path))
        elif NODE_SECTIONS[found.section] != want:
            got = NODE_SECTIONS[found.section]
            problems.append(entry.problem(f"{kind} {target!r} is a {got}, not a {want}", *path))
        else:
            file, line, col = entry.at(*path)
            graph.add_edge(entry.id, target, type=kind, file=file, line=line, col=col, **attrs)

    for entry in defined.values():
        spec = entry.spec
        if isinstance(spec, CauseSpec):
            for symptom, weight in spec.produces.items():
                link(entry, ("produces", symptom), symptom, "produces", "symptom", weight=weight)
            for i, component in enumerate(spec.affects):
                link(entry, ("affects", i), component, "affects", "component")
            for cause, weight in spec.leads_to.items():
                if cause == entry.id:
                    problems.append(entry.problem("leads_to itself", "leads_to", cause))
                    continue
                link(entry, ("leads_to", cause), cause, "leads_to", "cause", weight=weight)
        elif isinstance(spec, SymptomSpec):
            for i, obs in enumerate(spec.observed_by):
                link(entry, ("observed_by", i), obs.metric, "observed_by", "metric", direction=obs.direction)
        elif isinstance(spec, CheckSpec):
            _check_args(entry, spec, problems)
            for i, metric in enumerate(spec.measures):
                link(entry, ("measures", i), metric, "measures", "metric")
            metric_arg = spec.args.get("metric")
            if spec.tool in METRIC_TOOLS and isinstance(metric_arg, str) and metric_arg not in spec.measures:
                link(entry, ("args", "metric"), metric_arg, "measures", "metric")
            for i, symptom in enumerate(spec.reveals):
                link(entry, ("reveals", i), symptom, "reveals", "symptom")
        elif isinstance(spec, RemediationSpec):
            for i, cause in enumerate(spec.mitigates):
                link(entry, ("mitigates", i), cause, "mitigates", "cause", risk=spec.risk)


def _check_args(entry: _Entry, spec: CheckSpec, problems: list[Problem]) -> None:
    def bad(message: str) -> None:
        problems.append(entry.problem(message, "args"))

    if spec.tool in METRIC_TOOLS:
        if not isinstance(spec.args.get("metric"), str):
            bad(f"tool {spec.tool} needs args.metric (a metric id)")
        extra = set(spec.args) - {"metric"}
        if extra:
            bad(f"tool {spec.tool} takes only args.metric, not {', '.join(sorted(extra))}")
    elif spec.tool == "top_sql":
        order = spec.args.get("order_by")
        if order not in TOP_SQL_ORDERS:
            bad(f"tool top_sql needs args.order_by in {', '.join(sorted(TOP_SQL_ORDERS))}, not {order!r}")
    elif spec.tool == "settings":
        names = spec.args.get("names")
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
            bad("tool settings needs args.names (a non-empty list of parameter names)")
    elif spec.args:
        bad(f"tool {spec.tool} takes no args")
