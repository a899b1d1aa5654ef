"""Incident in, ``Diagnosis`` out, by rules alone: signals, facts, engine, graph ranking, HOW chains.

This is the function the CLI, the planner's triage and the UI all call, so a
rules-only answer is the same whichever door it came through. It never raises
for a bad incident: problems land in ``Diagnosis.errors`` with the path
``inconclusive``, because a batch must go on past one odd recording.

Causes are judged each on its own window: the rules run once per window the
signals measured (the main one, further abnormal segments, parts of a window
where a second cause shows), and a cause keeps the window where it was
surest. A capture whose inferred window is not significant is ``healthy``:
no rule runs, because rules asked about noise find causes in it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models import CauseFinding, Diagnosis, Fact, Incident, TimeWindow
from rules.book import PACKS_DIR, RuleBook
from rules.calibration import calibrated
from rules.engine import EngineResult, run_rules
from rules.explain import chain_evidence, how
from rules.materiality import service_bar
from rules.observations import observe
from rules.signals import SignalError, SignalSet, WindowSignals, extract_signals
from rules.workload import name_subjects

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph


@dataclass(frozen=True)
class WindowRun:
    """The rules' result on one window's facts."""

    window: TimeWindow
    facts: list[Fact]
    result: EngineResult


def diagnose_with_rules(
    incident: Incident,
    book: RuleBook,
    kg: KnowledgeGraph,
    infer_window: bool = False,
    disabled_rules: frozenset[str] = frozenset(),
    extra_facts: Sequence[Fact] = (),
) -> Diagnosis:
    """Diagnose one incident with the rule book; ``extra_facts`` are planner observations to add."""
    started = time.perf_counter()
    base = {
        "incident": incident.id,
        "title": incident.title,
        "labels": list(incident.labels),
        "label_healthy": incident.label_healthy,
    }
    try:
        signals = extract_signals(
            incident, kg, infer_window=infer_window, watched=watched_signals(book), bar=_service_bar(book)
        )
    except SignalError as exc:
        return Diagnosis(**base, path="inconclusive", errors=[str(exc)], elapsed_ms=_since(started))
    if signals.healthy:
        return Diagnosis(
            **base,
            path="healthy",
            window_inferred=True,
            health=signals.health,
            signals=signals.facts,
            elapsed_ms=_since(started),
        )
    runs = window_runs(incident, signals, book, disabled_rules, extra_facts)
    causes = merged_findings(runs, book, kg)
    errors = list(dict.fromkeys(e for run in runs for e in run.result.errors))
    return Diagnosis(
        **base,
        path="rules" if causes else "inconclusive",
        causes=causes,
        window=signals.window,
        window_inferred=signals.inferred,
        windows=sorted((run.window for run in runs), key=lambda w: (w.start, w.end)),
        health=signals.health,
        signals=signals.facts,
        errors=errors,
        elapsed_ms=_since(started),
    )


_WATCHED: weakref.WeakKeyDictionary[RuleBook, frozenset[str]] = weakref.WeakKeyDictionary()


_SHIPPED: weakref.WeakKeyDictionary[RuleBook, frozenset[str]] = weakref.WeakKeyDictionary()


_BAR: weakref.WeakKeyDictionary[RuleBook, float] = weakref.WeakKeyDictionary()


def _service_bar(book: RuleBook) -> float:
    found = _BAR.get(book)
    if found is None:
        found = _BAR[book] = service_bar(book)
    return found


def shipped_rules(book: RuleBook) -> frozenset[str]:
    """The ids of the book's rules that come from sleuth's own packs (``rules/packs``)."""
    found = _SHIPPED.get(book)
    if found is None:
        found = frozenset(
            rule.id
            for loaded in book.packs
            if loaded.path.resolve().parent == PACKS_DIR.resolve()
            for rule in loaded.pack.rules
        )
        _SHIPPED[book] = found
    return found


def watched_signals(book: RuleBook) -> frozenset[str]:
    """The metrics some rule reads: only a move of one of them can change what the rules conclude."""
    found = _WATCHED.get(book)
    if found is None:
        found = frozenset(
            c.signal
            for rule in book.rules
            for c in (*rule.when.all, *rule.when.any, *rule.when.none)
            if c.signal is not None
        )
        _WATCHED[book] = found
    return found


def window_runs(
    incident: Incident,
    signals: SignalSet,
    book: RuleBook,
    disabled_rules: frozenset[str] = frozenset(),
    extra_facts: Sequence[Fact] = (),
) -> list[WindowRun]:
    """The rules run on each measured window's signals and observations, the main window first.

    Lock snapshots, statement shapes, events and settings show symptoms
    (``shown_by``) that no metric can, so every run sees them, measured
    against its own window.
    """
    measured = signals.windows or [WindowSignals(signals.window, signals.facts)]
    runs: list[WindowRun] = []
    for part in measured:
        where, moved = part.window, part.facts
        facts = [*moved, *observe(incident, where, moved), *extra_facts]
        result = run_rules(book, facts, engine=incident.instance.engine, disabled=disabled_rules)
        runs.append(WindowRun(where, facts, result))
    return runs


def merged_findings(runs: Sequence[WindowRun], book: RuleBook, kg: KnowledgeGraph) -> list[CauseFinding]:
    """Each concluded cause from the window where it was surest, ranked by the graph over all windows.

    The certainty is that window's, not a combination across windows: the
    same evidence measured on overlapping windows is not independent; it is
    reported calibrated (``rules.calibration``), as the chance it is right. The
    graph ranks on the strongest move of each metric in any window, so a
    cause's symptoms count wherever they showed.
    """
    where: dict[str, WindowRun] = {}
    for run in runs:
        for cause, certainty in run.result.causes.items():
            held = where.get(cause)
            if held is None or certainty > held.result.causes[cause]:
                where[cause] = run
    if not where:
        return []
    certainties = {cause: run.result.causes[cause] for cause, run in where.items()}
    shipped = shipped_rules(book)
    out: list[CauseFinding] = []
    for ranked in kg.rank(certainties, strongest_facts(runs)):
        run = where[ranked.cause]
        chain = how(ranked.cause, run.result, book)
        direct = [s.rule for s in chain if s.conclusion_kind == "cause"]
        out.append(
            name_subjects(
                CauseFinding(
                    cause=ranked.cause,
                    title=kg.title(ranked.cause),
                    certainty=round(
                        calibrated(min(1.0, max(0.0, ranked.certainty)), set(direct) <= shipped), 4
                    ),
                    score=round(ranked.score, 4),
                    coverage=round(min(1.0, max(0.0, ranked.coverage)), 4),
                    evidence=chain_evidence(chain),
                    rules=direct + [s.rule for s in chain if s.rule not in direct],
                    chain=chain,
                    remediations=kg.remediations(ranked.cause),
                    window=run.window,
                )
            )
        )
    return out


def strongest_facts(runs: Iterable[WindowRun]) -> list[Fact]:
    """Per signal the most confident move over the windows; every other fact once."""
    signals: dict[str, Fact] = {}
    strengths: dict[str, float] = {}  # of the signal held, once another of its name has been met
    others: dict[tuple[str, str, str], Fact] = {}
    for run in runs:
        for fact in run.facts:
            if fact.kind != "signal":
                others.setdefault((fact.kind, fact.name, repr(sorted(fact.attrs.items()))), fact)
                continue
            name = fact.name
            held = signals.get(name)
            if held is None:
                signals[name] = fact
                continue
            strength, before = _strength(fact), strengths.get(name)
            if before is None:
                before = strengths[name] = _strength(held)
            if strength > before:
                signals[name], strengths[name] = fact, strength
    return [*signals.values(), *others.values()]


def _strength(fact: Fact) -> float:
    """How much a signal moved, for picking among windows: a flat one counts for nothing."""
    attrs = fact.attrs
    if attrs.get("direction") == "none":
        return 0.0
    value = attrs.get("confidence", 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)
