"""Planner accuracy for ``sleuth eval``: how often the fallback's answer and its first checks were right.

Counted only over incidents where the planner actually ran (its plan note is in
the trace) and that carry labels:

- top-1 / top-3: any true label at rank 1 / in the first three causes of the
  final diagnosis (the same definition as the rules' evaluation);
- tool selection: the share of plans whose first layer includes a check that
  measures a symptom of a true cause (the graph's ``checks_for`` the label) —
  did the model look in the right place, whatever it concluded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from knowledge_graph import KnowledgeGraph
from models import Diagnosis


class PlannerScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top1: float
    top3: float
    tool_selection: float
    cases: int


def plan_note(dx: Diagnosis) -> dict[str, Any] | None:
    for event in dx.trace:
        if event.kind == "note" and event.name == "plan" and isinstance(event.output, dict):
            return event.output
    return None


def planner_score(diagnoses: Iterable[Diagnosis], graph: KnowledgeGraph) -> PlannerScore:
    top1 = top3 = selected = n = 0
    for dx in diagnoses:
        note = plan_note(dx)
        if note is None or not dx.labels:
            continue
        n += 1
        ranked = [c.cause for c in dx.causes]
        labels = set(dx.labels)
        top1 += bool(ranked[:1] and ranked[0] in labels)
        top3 += bool(labels & set(ranked[:3]))
        useful = {c.id for label in sorted(labels) if graph.has_cause(label) for c in graph.checks_for(label)}
        selected += bool(useful & set(note.get("first_layer", [])))
    if n == 0:
        return PlannerScore(top1=0.0, top3=0.0, tool_selection=0.0, cases=0)
    return PlannerScore(
        top1=round(top1 / n, 4), top3=round(top3 / n, 4), tool_selection=round(selected / n, 4), cases=n
    )
