"""Rule books, loaded once per selection and compiled before they are first used.

A selection is what ``--rules`` says: the configured packs, no rules at all, or
paths. The configured book can be reloaded while the process runs (the UI's
reload): a reload that fails keeps the old book in force and records the
errors, because a typo in a rule file must never leave a long-running session
without rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from sleuth._errors import UsageError
from sleuth._options import NO_RULES

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph
    from rules import RuleBook
    from sleuth._views import RulesState

Selection = tuple[str, ...] | None


class RuleBooks:
    def __init__(self, graph: Callable[[], KnowledgeGraph], configured: Sequence[Path], cache: Path) -> None:
        self._graph = graph
        self._configured = list(configured)
        self._cache = cache
        self._lock = threading.RLock()
        self._books: dict[tuple[str, ...], RuleBook] = {}
        # The configured book in force and its generation, described when first asked for: a batch
        # never asks, and the views cost more to build than to leave unbuilt.
        self._in_force: RuleBook | None = None
        self._generation = 0
        self._state: RulesState | None = None

    def sources(self, rules: Selection = None) -> list[Path]:
        """The files or directories a selection reads (the shipped packs when nothing is configured)."""
        if rules is not None:
            return [Path(p) for p in rules]
        if self._configured:
            return list(self._configured)
        from rules import PACKS_DIR

        return [PACKS_DIR]

    def files(self, rules: Selection = None) -> list[Path]:
        """The rule files a selection reads (a directory means its YAML files), for watching them."""
        from rules.book import rule_files

        return rule_files(p for p in self.sources(rules) if p.exists())

    def get(self, rules: Selection = None) -> RuleBook:
        """The book for a selection; ``UsageError`` lists every problem of files that do not load."""
        if rules is not None and NO_RULES in rules and len(rules) > 1:
            raise UsageError("--rules none cannot be combined with rule paths")
        key = rules if rules is not None else ()
        with self._lock:
            book = self._books.get(key)
            if book is None:
                book = self._load(rules)
                self._books[key] = book
                if rules is None:
                    self._put_in_force(book)
            return book

    def reload(self) -> RulesState:
        """Re-read the configured book; on errors the old one stays in force and the state says why."""
        from rules import RuleLoadError, load_rulebook
        from rules.engine import prepare

        with self._lock:
            try:
                book = load_rulebook(self.sources(), graph=self._graph())
            except RuleLoadError as exc:
                self._state = replace(self._current(), errors=tuple(exc.lines))
                return self._state
            prepare(book)
            self._books[()] = book
            self._put_in_force(book)
            return self._current()

    def describe(self, rules: Selection = None) -> RulesState:
        """The rules of a selection as plain views (loading them if needed)."""
        return describe(self.get(rules), 0)

    def state(self) -> RulesState:
        """The configured rules in force (loading them first if needed) and the last reload's errors."""
        with self._lock:
            if () not in self._books:
                try:
                    self.get()
                except UsageError as exc:
                    self._state = replace(self._current(), packs=(), errors=tuple(str(exc).splitlines()))
            return self._current()

    def _put_in_force(self, book: RuleBook) -> None:
        self._in_force = book
        self._generation += 1
        self._state = None

    def _current(self) -> RulesState:
        if self._state is None:
            from sleuth._views import RulesState

            in_force = self._in_force
            self._state = RulesState(packs=()) if in_force is None else describe(in_force, self._generation)
        return self._state

    def _load(self, rules: Selection) -> RuleBook:
        from rules import RuleBook, RuleLoadError
        from rules.engine import prepare
        from sleuth._compiled import load_rulebook

        if rules == (NO_RULES,):
            return RuleBook.empty()
        try:
            book = load_rulebook(self.sources(rules), self._graph(), self._cache)
        except RuleLoadError as exc:
            raise UsageError("\n".join(exc.lines)) from None
        prepare(book)  # compiled once here, so no diagnosis's elapsed time carries it
        return book


def describe(book: RuleBook, generation: int) -> RulesState:
    from sleuth._views import PackInfo, RuleInfo, RulesState

    packs: list[PackInfo] = []
    for loaded in book.packs:
        rules: list[RuleInfo] = []
        for i, rule in enumerate(loaded.pack.rules):
            line, _col = loaded.source.position(("rules", i))
            rules.append(
                RuleInfo(
                    id=rule.id,
                    title=rule.title,
                    pack=loaded.pack.pack,
                    concludes=rule.then.cause or f"fact:{rule.then.fact}",
                    certainty=rule.certainty,
                    salience=rule.salience,
                    engines=tuple(rule.engines or loaded.pack.engines),
                    file=loaded.path,
                    line=line,
                    tests=len(rule.tests),
                )
            )
        packs.append(PackInfo(loaded.pack.pack, loaded.path, tuple(rules)))
    return RulesState(tuple(packs), (), generation)
