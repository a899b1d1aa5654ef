"""Incident in, ``Diagnosis`` out, by rules alone: signals, facts, engine, graph ranking, HOW chains.

This is the function the CLI, the planner's triage and the UI all call, so a
rules-only answer is the same whichever door it came through. It never raises
for a bad incident: problems land in ``Diagnosis.errors`` with the path
``inconclusive``, because a batch must go on past one odd recording.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from models import CauseFinding, Diagnosis, Fact, Incident
from rules.book import RuleBook
from rules.engine import EngineResult, run_rules
from rules.explain import chain_evidence, how
from rules.facts import PipelineGraph, incident_facts
from rules.graph import GraphView
from rules.signals import SignalError


def diagnose_with_rules(
    incident: Incident,
    book: RuleBook,
    kg: PipelineGraph,
    infer_window: bool = False,
    disabled_rules: frozenset[str] = frozenset(),
    extra_facts: Sequence[Fact] = (),
) -> Diagnosis:
    """Diagnose one incident with the rule book; ``extra_facts`` are planner observations to add."""
    started = time.perf_counter()
    try:
        gathered = incident_facts(incident, kg, infer_window=infer_window)
    except SignalError as exc:
        return Diagnosis(
            incident=incident.id,
            title=incident.title,
            path="inconclusive",
            errors=[str(exc)],
            labels=list(incident.labels),
            elapsed_ms=_since(started),
        )
    signals = gathered.signals
    facts = [*gathered.all, *extra_facts]
    result = run_rules(book, facts, engine=incident.instance.engine, disabled=disabled_rules)
    # Ranking weighs the same evidence the rules saw: lock snapshots, statement shapes,
    # events and settings show symptoms (``shown_by``) that no metric can, and a
    # measured-but-absent one counts against the causes that expect it.
    causes = findings(result, book, kg, facts)
    return Diagnosis(
        incident=incident.id,
        title=incident.title,
        path="rules" if causes else "inconclusive",
        causes=causes,
        window=signals.window,
        window_inferred=signals.inferred,
        signals=signals.facts,
        errors=list(result.errors),
        labels=list(incident.labels),
        elapsed_ms=_since(started),
    )


def findings(
    result: EngineResult, book: RuleBook, kg: GraphView, evidence: Iterable[Fact]
) -> list[CauseFinding]:
    """Concluded causes ranked by the graph, each with its HOW chain, evidence and remediations.

    ``evidence`` is every fact of the run (signals and observations), not the
    signals alone: the graph's symptoms are shown by both.
    """
    if not result.causes:
        return []
    out: list[CauseFinding] = []
    for ranked in kg.rank(dict(result.causes), list(evidence)):
        chain = how(ranked.cause, result, book)
        direct = [s.rule for s in chain if s.conclusion_kind == "cause"]
        out.append(
            CauseFinding(
                cause=ranked.cause,
                title=kg.title(ranked.cause),
                certainty=round(min(1.0, max(0.0, ranked.certainty)), 4),
                score=round(ranked.score, 4),
                coverage=round(min(1.0, max(0.0, ranked.coverage)), 4),
                evidence=chain_evidence(chain),
                rules=direct + [s.rule for s in chain if s.rule not in direct],
                chain=chain,
                remediations=kg.remediations(ranked.cause),
            )
        )
    return out


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)
