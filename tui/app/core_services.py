"""``Services`` backed by sleuth's core: importers, the rule book, the knowledge graph, the planner.

Core packages are imported lazily, inside the methods (which run in worker
threads), so ``sleuth tui`` paints its first frame before durable_rules,
networkx and numpy are loaded. durable_rules has no locks, so every call that
touches the engine goes through one lock. The rule book is held here: a
reload that fails keeps the previous book in force and reports its errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui.app.discovery import find_incidents
from tui.app.services import (
    IncidentRef,
    Investigation,
    InvestigationListener,
    KgCause,
    KgCheck,
    KgMetric,
    KgSymptom,
    PackInfo,
    RuleInfo,
    RulesState,
    RuleTestOutcome,
    ServiceUnavailable,
)

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph
    from models import Diagnosis, Fact, Incident, WhyNot
    from planner.backends import Model
    from rules import RuleBook


class CoreServices:
    def __init__(
        self,
        rule_paths: Sequence[Path] | None = None,
        model_factory: Callable[[], Model] | None = None,
    ) -> None:
        self.rule_paths = list(rule_paths) if rule_paths is not None else None
        self.model_factory = model_factory
        self._lock = threading.RLock()
        self._book: RuleBook | None = None
        self._state = RulesState(packs=())

    # Knowledge graph and rules, loaded on first use ------------------------------

    def _kg(self) -> KnowledgeGraph:
        from knowledge_graph import load_default_graph

        return load_default_graph()

    def _sources(self) -> list[Path]:
        from rules import PACKS_DIR

        return self.rule_paths if self.rule_paths is not None else [PACKS_DIR]

    def _rulebook(self) -> RuleBook:
        with self._lock:
            if self._book is None:
                self.reload_rules()
            if self._book is None:
                raise ServiceUnavailable("the rule files do not load: " + "; ".join(self._state.errors[:3]))
            return self._book

    @staticmethod
    def _describe(book: RuleBook, generation: int) -> RulesState:
        packs: list[PackInfo] = []
        for loaded in book.packs:
            rules: list[RuleInfo] = []
            for i, rule in enumerate(loaded.pack.rules):
                line, _col = loaded.source.position(("rules", i))
                concludes = rule.then.cause or f"fact {rule.then.fact}"
                rules.append(
                    RuleInfo(
                        rule.id,
                        rule.title,
                        loaded.pack.pack,
                        concludes,
                        rule.certainty,
                        loaded.path,
                        line,
                        len(rule.tests),
                    )
                )
            packs.append(PackInfo(loaded.pack.pack, loaded.path, tuple(rules)))
        return RulesState(tuple(packs), (), generation)

    # Incidents ---------------------------------------------------------------------

    def list_incidents(self, root: Path) -> list[IncidentRef]:
        return find_incidents(root)

    def load_incident(self, path: Path) -> Incident:
        from sources.importers import load_incident

        return load_incident(path)

    def diagnose(self, incident: Incident) -> Diagnosis:
        from rules import diagnose_with_rules

        book, kg = self._rulebook(), self._kg()
        with self._lock:
            return diagnose_with_rules(incident, book, kg)

    def why_not(self, incident: Incident, cause: str) -> WhyNot:
        from rules.explain import why_not

        book, kg = self._rulebook(), self._kg()
        with self._lock:
            return why_not(incident, cause, book, kg)

    def cause_ids(self) -> list[str]:
        return sorted(self._kg().cause_ids())

    def canonical_metrics(self, names: list[str]) -> dict[str, str | None]:
        kg = self._kg()
        return {n: (n if kg.has_metric(n) else kg.resolve_metric(n)) for n in names}

    def kg_causes(self) -> list[KgCause]:
        kg = self._kg()
        graph = kg.graph
        causes: list[KgCause] = []
        for cause in kg.cause_ids():
            symptoms = []
            for symptom in sorted(kg.symptoms_of(cause)):
                metrics = tuple(
                    KgMetric(dst, str(data.get("direction", "")))
                    for _src, dst, data in graph.out_edges(symptom, data=True)
                    if data["type"] == "observed_by"
                )
                symptoms.append(KgSymptom(symptom, kg.title(symptom), metrics))
            checks = tuple(KgCheck(c.id, c.title, c.tool) for c in kg.checks_for(cause))
            causes.append(
                KgCause(cause, kg.title(cause), tuple(symptoms), checks, tuple(kg.remediations(cause)))
            )
        return causes

    # Rules ---------------------------------------------------------------------------

    def rules(self) -> RulesState:
        with self._lock:
            if self._book is None:
                self.reload_rules()
            return self._state

    def rule_files(self) -> list[Path]:
        from rules.book import rule_files

        return rule_files(p for p in self._sources() if p.exists())

    def reload_rules(self) -> RulesState:
        """A new book, or the old one kept in force with the new errors attached."""
        from rules import RuleLoadError, load_rulebook

        with self._lock:
            try:
                book = load_rulebook(self._sources())
            except RuleLoadError as exc:
                self._state = RulesState(self._state.packs, tuple(exc.lines), self._state.generation)
                return self._state
            self._book = book
            self._state = self._describe(book, self._state.generation + 1)
            return self._state

    def lint(self) -> list[str]:
        from rules.book import check
        from rules.graph import default_graph

        _packs, problems = check(self._sources(), default_graph())
        return [str(p) for p in problems]

    def run_rule_tests(self, rule_id: str) -> list[RuleTestOutcome]:
        from rules.ruletest import run_inline_tests

        book = self._rulebook()
        results = run_inline_tests(book, self.load_incident, self.diagnose)
        return [
            RuleTestOutcome(r.rule, r.incident.name, r.passed, "; ".join(r.failures) or "ok")
            for r in results
            if r.rule == rule_id
        ]

    # Planner -------------------------------------------------------------------------

    def investigate(
        self, incident: Incident, listener: InvestigationListener, investigation: Investigation
    ) -> Diagnosis:
        from tui.app.planner_bridge import investigate

        book, kg = self._rulebook(), self._kg()

        def run_rules(extra: Sequence[Fact]) -> Diagnosis:
            from rules import diagnose_with_rules

            with self._lock:
                return diagnose_with_rules(incident, book, kg, extra_facts=tuple(extra))

        return investigate(
            incident,
            graph=kg,
            run_rules=run_rules,
            model=self._model(),
            listener=listener,
            cancel=investigation.cancel,
        )

    def _model(self) -> Model:
        """The injected model (tests), else the configured one, shared across investigations."""
        if self.model_factory is not None:
            return self.model_factory()
        from planner import load_config
        from planner.runner import shared_model

        return shared_model(load_config())
