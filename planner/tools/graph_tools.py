"""Graph tools: let a plan ask the knowledge graph what is still open, given what has been seen."""

from __future__ import annotations

from models import Fact
from planner.tools.base import NoArgs, ToolContext, ToolOutput

CANDIDATES_SHOWN = 8


def kg_candidates(ctx: ToolContext, _args: NoArgs, step: str) -> ToolOutput:
    symptoms = ctx.graph.observed_symptoms(ctx.signals)
    ranked = ctx.graph.candidate_causes(symptoms)[:CANDIDATES_SHOWN]
    facts = [
        Fact(kind="observation", name="kg_candidate", attrs={"cause": c, "weight": round(w, 3)}, source=step)
        for c, w in ranked
    ]
    text = ", ".join(f"{c} ({w:.2f})" for c, w in ranked) or "no cause explains the observed symptoms"
    return ToolOutput(
        summary=f"symptoms {sorted(symptoms)}; candidates: {text}",
        data={"symptoms": sorted(symptoms), "candidates": dict(ranked)},
        facts=facts,
    )


def kg_best_checks(ctx: ToolContext, _args: NoArgs, step: str) -> ToolOutput:
    checks = ctx.graph.best_checks(ctx.candidates, done=ctx.done_checks, k=5)
    rows = [{"id": c.id, "tool": c.tool, "args": dict(c.args)} for c in checks]
    text = ", ".join(c.id for c in checks) or "none left"
    return ToolOutput(summary=f"next checks: {text}", data={"checks": rows})
