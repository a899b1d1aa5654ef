"""Leave-one-out: learn from every incident but one, diagnose that one, repeat for each.

Three ways of using the past are scored on their own, so each figure says
what one of them is worth:

- ``rules``: rules learned from the others (no shipped pack), the rules alone;
- ``retrieval``: the others as confirmed history, the held-out incident's
  causes ranked by the similarity-weighted votes of its nearest neighbours;
- ``planner``: no rules at all, the others as history, the planner with the
  configured model deciding.

Each incident is mined once (mining does not depend on the training set), so
only the rule induction repeats per fold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from models import Diagnosis, Fact, Incident
from planner.tools.history import IncidentHistory, cause_votes
from rules.learn import Example, MinedIncident, mine_all, pack_from_mined
from sleuth.history.records import Confirmed
from sleuth.history.signature import signature
from sleuth.history.similar import Excluding, PastIncidents

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph
    from planner.evaluation import PlannerScore
    from rules.evaluation import EvalCase, EvalReport

Part = Literal["rules", "retrieval", "planner"]
PARTS: tuple[Part, ...] = ("rules", "retrieval", "planner")
NEIGHBOURS = 5

DiagnoseWithHistory = Callable[[Incident, IncidentHistory], Diagnosis]


@dataclass(frozen=True)
class LearningEval:
    """The scores of each part that ran, and how long learning from every incident took."""

    cases: int
    learn_s: float
    rules: EvalReport | None = None
    retrieval: EvalReport | None = None
    planner: tuple[EvalReport, PlannerScore] | None = None
    skipped: tuple[str, ...] = ()


def leave_one_out(
    examples: Sequence[Example],
    graph: KnowledgeGraph,
    parts: Sequence[Part],
    *,
    infer_window: bool = False,
    diagnose_with_history: DiagnoseWithHistory | None = None,
    on_case: Callable[[], None] = lambda: None,
) -> LearningEval:
    """``diagnose_with_history`` runs the planner part (the service passes its own diagnosis)."""
    from planner.evaluation import planner_score
    from rules.evaluation import EvalCase, evaluate_cases

    t0 = time.perf_counter()
    mined, skipped = mine_all(examples, graph)
    pack_from_mined(mined, graph)
    learn_s = round(time.perf_counter() - t0, 3)
    cases = [m.example for m in mined]
    rules = retrieval = None
    planner = None
    if "rules" in parts:
        rules = evaluate_cases(_rules_cases(mined, graph, infer_window, on_case))
    if "retrieval" in parts or "planner" in parts:
        signals = [_signals(e.incident, graph, infer_window) for e in cases]
        past = PastIncidents(
            Confirmed(i, e.incident.instance.engine, e.incident.id, signature(s), e.causes, "", 0.0, None)
            for i, (e, s) in enumerate(zip(cases, signals, strict=True))
        )
        if "retrieval" in parts:
            retrieval = evaluate_cases(_retrieval_cases(cases, signals, past, on_case))
        if "planner" in parts and diagnose_with_history is not None:
            diagnoses = []
            for i, example in enumerate(cases):
                diagnoses.append(diagnose_with_history(example.incident, Excluding(past, [i])))
                on_case()
            report = evaluate_cases(
                EvalCase.from_diagnosis(d, e.causes) for d, e in zip(diagnoses, cases, strict=True)
            )
            planner = (report, planner_score(diagnoses, graph))
    return LearningEval(len(cases), learn_s, rules, retrieval, planner, tuple(skipped))


def _rules_cases(
    mined: Sequence[MinedIncident], graph: KnowledgeGraph, infer_window: bool, on_case: Callable[[], None]
) -> list[EvalCase]:
    from rules import RuleBook, diagnose_with_rules
    from rules.evaluation import EvalCase
    from rules.loader import parse_pack

    folds: list[EvalCase] = []
    for i, held in enumerate(mined):
        learned = pack_from_mined([m for j, m in enumerate(mined) if j != i], graph)
        book = RuleBook([parse_pack(learned.text, "learned.yaml")])
        dx = diagnose_with_rules(held.example.incident, book, graph, infer_window=infer_window)
        folds.append(EvalCase.from_diagnosis(dx, held.example.causes))
        on_case()
    return folds


def _retrieval_cases(
    cases: Sequence[Example],
    signals: Sequence[Sequence[Fact]],
    past: PastIncidents,
    on_case: Callable[[], None],
) -> list[EvalCase]:
    from rules.evaluation import EvalCase

    out: list[EvalCase] = []
    for i, example in enumerate(cases):
        t0 = time.perf_counter()
        matches = past.similar(signals[i], example.incident.instance.engine, NEIGHBOURS, exclude=[i])
        ranked = tuple(c for c, _ in cause_votes(matches))
        elapsed = (time.perf_counter() - t0) * 1000.0
        out.append(
            EvalCase(
                labels=example.causes,
                ranked=ranked,
                path="rules" if ranked else "inconclusive",
                elapsed_ms=round(elapsed, 3),
            )
        )
        on_case()
    return out


def _signals(incident: Incident, graph: KnowledgeGraph, infer_window: bool) -> list[Fact]:
    from rules.signals import SignalError, extract_signals

    try:
        return list(extract_signals(incident, graph, infer_window=infer_window).facts)
    except SignalError:
        return []
