"""Authoring documents to one typed networkx graph, collecting every problem instead of stopping.

Each entry is validated on its own so one bad cause does not hide the rest of a
file, and every reference is checked against the merged node set so a typo in
one file is reported at its own line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from pydantic import BaseModel, TypeAdapter, ValidationError

from knowledge_graph._aliases import AliasTable
from knowledge_graph._problems import Problem
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
from knowledge_graph._yamlsource import PathKey, YamlDocument

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
    graph: Any  # nx.DiGraph; networkx ships no type information
    aliases: AliasTable
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Entry:
    doc: YamlDocument
    section: str
    id: str
    spec: BaseModel

    def line(self, *path: str | int) -> int:
        return self.doc.line((self.section, self.id, *path))


def _validation_problems(doc: YamlDocument, base: PathKey, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in {"str", "AliasSpec"}))
        where = ".".join(str(p) for p in (*base, *loc))
        out.append(Problem(doc.file, doc.line((*base, *loc)), f"{where}: {err['msg']}"))
    return out


def _entries(docs: Iterable[YamlDocument], problems: list[Problem]) -> tuple[list[_Entry], list[_Entry]]:
    """Validated node entries, and alias-only entries (spec is a wrapper of the alias list)."""
    nodes: list[_Entry] = []
    alias_only: list[_Entry] = []
    for doc in docs:
        problems.extend(doc.problems)
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(Problem(doc.file, doc.line(()), "a graph file is a mapping of sections"))
            continue
        for section, body in doc.data.items():
            if section not in _SPECS and section != "aliases":
                known = ", ".join([*_SPECS, "aliases"])
                problems.append(
                    Problem(doc.file, doc.line((section,)), f"unknown section {section!r} ({known})")
                )
                continue
            if body is None:
                continue
            if not isinstance(body, dict):
                problems.append(
                    Problem(doc.file, doc.line((section,)), f"{section}: expected a mapping of ids")
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
                    problems.extend(_validation_problems(doc, (section, key), exc))
    return nodes, alias_only


def build(docs: Iterable[YamlDocument]) -> BuiltGraph:
    problems: list[Problem] = []
    nodes, alias_only = _entries(docs, problems)
    graph = nx.DiGraph()
    defined: dict[str, _Entry] = {}
    for entry in nodes:
        if not _ID_RE.match(entry.id):
            problems.append(Problem(entry.doc.file, entry.line(), f"id {entry.id!r} is not snake_case"))
            continue
        first = defined.get(entry.id)
        if first is not None:
            where = f"{first.doc.file}:{first.line()}"
            problems.append(
                Problem(entry.doc.file, entry.line(), f"duplicate id {entry.id!r} (first at {where})")
            )
            continue
        defined[entry.id] = entry
        attrs = entry.spec.model_dump(exclude=set(_EDGE_FIELDS), exclude_none=True)
        graph.add_node(
            entry.id, type=NODE_SECTIONS[entry.section], file=entry.doc.file, line=entry.line(), **attrs
        )
    aliases = _aliases(defined, alias_only, problems)
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
            problems.append(Problem(entry.doc.file, entry.line(), f"aliases for unknown metric {entry.id!r}"))
        elif isinstance(entry.spec, _AliasList):
            pending.append((entry, entry.spec.names))
    for entry, names in pending:
        metric_id = entry.id
        for index, raw in enumerate(names):
            alias = raw if isinstance(raw, AliasSpec) else AliasSpec(name=raw)
            clash = table.add(alias.name, MetricAlias(metric_id, alias.scale, alias.name))
            if clash is not None:
                path: tuple[str | int, ...] = ("aliases", index) if entry.section == "metrics" else (index,)
                problems.append(Problem(entry.doc.file, entry.line(*path), clash))
    return table


def _edges(graph: Any, defined: dict[str, _Entry], problems: list[Problem]) -> None:
    def link(
        entry: _Entry, path: tuple[str | int, ...], target: str, kind: str, want: str, **attrs: Any
    ) -> None:
        found = defined.get(target)
        line = entry.line(*path)
        if found is None:
            problems.append(Problem(entry.doc.file, line, f"{entry.id}: {kind} unknown {want} {target!r}"))
        elif NODE_SECTIONS[found.section] != want:
            got = NODE_SECTIONS[found.section]
            problems.append(
                Problem(entry.doc.file, line, f"{entry.id}: {kind} {target!r} is a {got}, not a {want}")
            )
        else:
            graph.add_edge(entry.id, target, type=kind, file=entry.doc.file, line=line, **attrs)

    for entry in defined.values():
        spec = entry.spec
        if isinstance(spec, CauseSpec):
            for symptom, weight in spec.produces.items():
                link(entry, ("produces", symptom), symptom, "produces", "symptom", weight=weight)
            for i, component in enumerate(spec.affects):
                link(entry, ("affects", i), component, "affects", "component")
            for cause, weight in spec.leads_to.items():
                if cause == entry.id:
                    line = entry.line("leads_to", cause)
                    problems.append(Problem(entry.doc.file, line, f"{entry.id}: leads_to itself"))
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
        problems.append(Problem(entry.doc.file, entry.line("args"), f"{entry.id}: {message}"))

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
