"""Checks across rule files that pydantic cannot make alone.

Schema validation sees one file at a time and knows nothing of the knowledge
graph; the mistakes that survive it (a misspelt cause or metric, a test on a
field that is a string, chains that loop or dangle, an id used twice) make a
rule silently never fire, so they are rejected here with a position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from models import SIGNAL_NUMERIC_FIELDS, SIGNAL_STRING_FIELDS, Condition, NumTest, Problem, RuleSpec
from rules.compiler import awkward_number
from rules.conditions import numeric_tests
from rules.loader import LoadedPack
from sources.yamlfile import PathPart, YamlFile

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph

GROUPS: tuple[str, ...] = ("all", "any", "none")
_ATTR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SIGNAL_FIELDS = frozenset(SIGNAL_NUMERIC_FIELDS) | frozenset(SIGNAL_STRING_FIELDS)


def conditions(rule: RuleSpec) -> Iterator[tuple[str, int, Condition]]:
    """Every condition of a rule with its group and index, in file order."""
    for group in GROUPS:
        for index, cond in enumerate(getattr(rule.when, group)):
            yield group, index, cond


def lint(packs: Sequence[LoadedPack], graph: KnowledgeGraph) -> list[Problem]:
    """All problems across ``packs``, sorted by file and position."""
    problems: list[Problem] = []
    for loaded in packs:
        problems.extend(graph_references(loaded, graph))
        for i, rule in enumerate(loaded.pack.rules):
            problems.extend(_rule_problems(loaded, i, rule))
    problems.extend(_duplicate_ids(packs))
    problems.extend(_chain_problems(packs))
    return sorted(problems)


def graph_references(loaded: LoadedPack, graph: KnowledgeGraph) -> Iterator[Problem]:
    """Causes a pack concludes and metrics it tests that the graph does not define.

    The one check of rules against the graph: ``rules lint`` runs it with the
    rest, ``kg check --rules`` runs it alone against the graph it checks.
    """
    src = loaded.source
    for i, rule in enumerate(loaded.pack.rules):
        if rule.then.cause is not None and not graph.has_cause(rule.then.cause):
            message = f"unknown cause {rule.then.cause!r} (not in the knowledge graph)"
            yield src.problem(("rules", i, "then", "cause"), rule.id, message)
        for group, j, cond in conditions(rule):
            if cond.signal is not None and not graph.has_metric(cond.signal):
                at = ("rules", i, "when", group, j, "signal")
                yield src.problem(at, rule.id, _unknown_metric(graph, cond.signal))


def _unknown_metric(graph: KnowledgeGraph, name: str) -> str:
    canonical = graph.resolve_metric(name)
    if canonical is not None:
        return f"unknown metric {name!r} (a vendor name of {canonical!r}: rules test canonical metrics)"
    return f"unknown metric {name!r} (not in the knowledge graph)"


def _rule_problems(loaded: LoadedPack, i: int, rule: RuleSpec) -> Iterator[Problem]:
    src = loaded.source
    base: tuple[PathPart, ...] = ("rules", i)
    for group, j, cond in conditions(rule):
        at: tuple[PathPart, ...] = (*base, "when", group, j)
        yield from _bound_problems(src, at, rule.id, cond)
        for key, test in cond.where.items():
            where_at = (*at, "where", key)
            if not _ATTR_NAME.match(key):
                yield src.problem(
                    where_at, rule.id, f"attribute name {key!r} must be a plain identifier", key=True
                )
            if cond.signal is None:
                continue
            if key not in _SIGNAL_FIELDS:
                yield src.problem(where_at, rule.id, f"unknown field {key!r} for a signal", key=True)
            elif key in SIGNAL_STRING_FIELDS and isinstance(test, NumTest):
                yield src.problem(where_at, rule.id, f"comparison on a string field {key!r}", key=True)
            elif key in SIGNAL_NUMERIC_FIELDS and not isinstance(test, NumTest):
                yield src.problem(
                    where_at, rule.id, f"numeric field {key!r} compared with {test!r}", key=True
                )


def _bound_problems(
    src: YamlFile, at: tuple[PathPart, ...], rule_id: str, cond: Condition
) -> Iterator[Problem]:
    """Bounds durable_rules cannot read: it rejects JSON numbers written with an exponent."""
    for field, test in numeric_tests(cond):
        base = (*at, "where", field) if field in cond.where else (*at, field)
        for op, bound in test.bounds():
            if awkward_number(bound):
                yield src.problem(
                    (*base, op),
                    rule_id,
                    f"bound {bound!r} is out of the engine's range (0, or 1e-4 <= |x| < 1e16)",
                )


def _duplicate_ids(packs: Sequence[LoadedPack]) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for loaded in packs:
        for i, rule in enumerate(loaded.pack.rules):
            path = ("rules", i, "id")
            if rule.id in first:
                yield loaded.source.problem(
                    path, rule.id, f"duplicate rule id (first defined at {first[rule.id]})"
                )
            else:
                line, col = loaded.source.position(path)
                first[rule.id] = f"{loaded.source.file}:{line}:{col}"


def _chain_problems(packs: Sequence[LoadedPack]) -> Iterator[Problem]:
    """Dangling and circular derived facts; a cycle could never start, a dangling fact never holds."""
    concluded: set[str] = set()
    for loaded in packs:
        concluded.update(r.then.fact for r in loaded.pack.rules if r.then.fact is not None)
    needs: dict[str, set[str]] = {}  # derived fact -> the facts a rule concluding it reads
    where: dict[tuple[str, str], Problem] = {}
    for loaded in packs:
        for i, rule in enumerate(loaded.pack.rules):
            for group, j, cond in conditions(rule):
                if cond.fact is None:
                    continue
                at = ("rules", i, "when", group, j, "fact")
                if cond.fact not in concluded:
                    yield loaded.source.problem(at, rule.id, f"fact {cond.fact!r} is concluded by no rule")
                if rule.then.fact is not None:
                    needs.setdefault(rule.then.fact, set()).add(cond.fact)
                    where.setdefault((cond.fact, rule.then.fact), loaded.source.problem(at, rule.id, ""))
    try:
        TopologicalSorter(needs).prepare()
    except CycleError:  # networkx lists every cycle; importing it costs more than a lint, so only now
        yield from _cycles(list(where), where)


def _cycles(edges: list[tuple[str, str]], where: dict[tuple[str, str], Problem]) -> Iterator[Problem]:
    import networkx as nx

    for found in nx.simple_cycles(nx.DiGraph(edges)):
        start = found.index(min(found))  # a stable message, whichever node networkx starts from
        cycle = found[start:] + found[:start]
        loop = [*cycle, cycle[0]]
        place = where[(loop[0], loop[1])]
        text = " -> ".join(loop)
        yield Problem(place.file, place.line, place.col, place.subject, f"derived facts form a cycle: {text}")
