"""The loaded rules as one immutable value, so a reload either fully succeeds or changes nothing.

A ``RuleBook`` is never mutated: ``reload`` returns a new book (with a new
version, hence new durable_rules ruleset names) or raises and leaves the caller
holding the old one, which is what "a bad file never replaces the loaded
rules" needs in a long-running UI.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from models import NO_SUBJECT, Problem, RuleSpec
from rules.graph import default_graph
from rules.lint import graph_references, lint
from rules.loader import LoadedPack, read_pack
from rules.problems import RuleLoadError

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph

PACKS_DIR = Path(__file__).resolve().parent / "packs"

_versions = itertools.count(1)
_version_lock = threading.Lock()


def _next_version() -> int:
    with _version_lock:
        return next(_versions)


class RuleBook:
    """Validated, linted rule packs plus what the engine and explanations look up by rule id."""

    def __init__(self, packs: Sequence[LoadedPack], sources: Sequence[Path] = ()) -> None:
        self.packs: tuple[LoadedPack, ...] = tuple(packs)
        self.sources: tuple[Path, ...] = tuple(sources)
        self.version = _next_version()
        self._rules: dict[str, RuleSpec] = {}
        self._pack_of: dict[str, str] = {}
        self._engines: dict[str, tuple[str, ...]] = {}
        for loaded in self.packs:
            for rule in loaded.pack.rules:
                self._rules.setdefault(rule.id, rule)
                self._pack_of.setdefault(rule.id, loaded.pack.pack)
                self._engines.setdefault(rule.id, tuple(rule.engines or loaded.pack.engines))

    @classmethod
    def empty(cls) -> RuleBook:
        """No rules at all (``--rules none``): every incident goes past the rules."""
        return cls(())

    @property
    def rules(self) -> list[RuleSpec]:
        return list(self._rules.values())

    def rule(self, rule_id: str) -> RuleSpec:
        return self._rules[rule_id]

    def has_rule(self, rule_id: str) -> bool:
        return rule_id in self._rules

    def pack_of(self, rule_id: str) -> str:
        return self._pack_of[rule_id]

    def engines_of(self, rule_id: str) -> tuple[str, ...]:
        """The engines a rule is for: its own list, else its pack's; empty means every engine."""
        return self._engines[rule_id]

    def applies_to(self, rule_id: str, engine: str | None) -> bool:
        engines = self._engines[rule_id]
        return engine is None or not engines or engine in engines

    def concluding(self, cause_or_fact: str) -> list[RuleSpec]:
        """Rules whose conclusion is ``cause_or_fact`` (a cause id or a derived fact name)."""
        return [r for r in self._rules.values() if cause_or_fact in (r.then.cause, r.then.fact)]

    def reload(self, graph: KnowledgeGraph | None = None) -> RuleBook:
        """A fresh book from the same files; raises ``RuleLoadError`` and changes nothing on error."""
        if not self.sources:
            return RuleBook(self.packs)  # built in memory: nothing to re-read, but a new version
        return load_rulebook(self.sources, graph=graph)

    def __len__(self) -> int:
        return len(self._rules)


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus every ``*.yaml``/``*.yml`` of a named directory, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            files.append(path)
    return files


def load_packs(paths: Sequence[Path]) -> tuple[list[LoadedPack], list[Problem]]:
    """Every pack that parses, and the problems of those that do not (lint wants both)."""
    packs: list[LoadedPack] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), 1, 1, NO_SUBJECT, "no such file or directory"))
    for path in paths:
        if path.is_dir() and not rule_files([path]):
            problems.append(
                Problem(str(path), 1, 1, NO_SUBJECT, "no rule files (*.yaml, *.yml) in this directory")
            )
    for file in rule_files(p for p in paths if p.exists()):
        try:
            packs.append(read_pack(file))
        except RuleLoadError as exc:
            problems.extend(exc.problems)
    return packs, problems


def check(paths: Sequence[Path], graph: KnowledgeGraph) -> tuple[list[LoadedPack], list[Problem]]:
    """Load and lint; the problems are everything ``sleuth rules lint`` prints."""
    packs, problems = load_packs(paths)
    problems.extend(lint(packs, graph))
    return packs, sorted(problems)


def check_references(paths: Sequence[Path], graph: KnowledgeGraph) -> list[Problem]:
    """The rule files' problems with ``graph`` alone: unreadable files, unknown causes and metrics.

    What ``kg check --rules`` reports, so a graph under review can be checked
    against rule packs without their own lint findings in the way.
    """
    packs, problems = load_packs(paths)
    for loaded in packs:
        problems.extend(graph_references(loaded, graph))
    return sorted(problems)


def load_rulebook(
    paths: Sequence[Path | str] | None = None, *, graph: KnowledgeGraph | None = None
) -> RuleBook:
    """Load, validate and lint rule files (default: the shipped packs) into a new ``RuleBook``.

    Raises ``RuleLoadError`` listing every problem as ``FILE:LINE:COL rule-id: message``.
    """
    sources = [Path(p) for p in paths] if paths is not None else [PACKS_DIR]
    packs, problems = check(sources, graph if graph is not None else default_graph())
    if problems:
        raise RuleLoadError(problems)
    return RuleBook(packs, sources)
