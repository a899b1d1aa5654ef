"""The history tool: confirmed past incidents whose signature resembles this one's.

Most incidents recur, so "the last time the metrics moved like this, the DBA
confirmed X" is evidence a reflection may cite. The history arrives in the
tool context (``ToolContext.history``) as anything with a ``similar`` method;
the planner never opens a database nor imports the service. Past notes and
incident ids are data written by people: they reach the model only quoted,
through the evidence block, like every tool summary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from models import Fact, SimilarIncident
from planner.tools.base import ToolContext, ToolOutput

TOOL = "similar_incidents"
SIMILAR_FACT = "similar_incident"
NOTE_LIMIT = 80


class IncidentHistory(Protocol):
    def similar(self, signals: Sequence[Fact], engine: str, k: int) -> list[SimilarIncident]: ...


class SimilarArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k: int = Field(default=3, ge=1, le=10, description="how many past incidents")


def cause_votes(matches: Sequence[SimilarIncident]) -> list[tuple[str, float]]:
    """The matches' confirmed causes weighted by similarity, best first (ties by name)."""
    weights: dict[str, float] = defaultdict(float)
    for match in matches:
        for cause in match.causes:
            weights[cause] += max(0.0, match.similarity)
    return sorted(((c, round(w, 4)) for c, w in weights.items()), key=lambda pair: (-pair[1], pair[0]))


def similar_incidents(ctx: ToolContext, args: SimilarArgs, step: str) -> ToolOutput:
    if ctx.history is None:
        raise LookupError("no incident history to search")
    matches = ctx.history.similar(ctx.signals, ctx.source.instance().engine, args.k)
    votes = cause_votes(matches)
    facts = [
        Fact(
            kind="observation",
            name=SIMILAR_FACT,
            attrs={"cause": cause, "similarity": m.similarity, "record": m.record},
            certainty=max(0.0, min(1.0, m.similarity)),
            source=step,
            text=f"past incident #{m.record} ({m.incident}) confirmed {cause}, similarity {m.similarity:.2f}",
        )
        for m in matches
        for cause in m.causes
    ]
    if not matches:
        return ToolOutput(summary="no confirmed past incident resembles this one", data={"causes": {}})
    lines = [
        f"#{m.record} {m.incident} (similarity {m.similarity:.2f}): {', '.join(m.causes)}"
        + (f" ({m.note[:NOTE_LIMIT]})" if m.note else "")
        for m in matches
    ]
    # The verdict comes last, next to the question the model answers.
    summary = f"similar past incidents {'; '.join(lines)}; the DBA confirmed {votes[0][0]}"
    data = {
        "causes": dict(votes),
        "matches": [m.model_dump(mode="json") for m in matches],
    }
    return ToolOutput(summary=summary, data=data, facts=facts)


def supported_causes(tool: str, data: dict[str, object]) -> set[str]:
    """The causes a history result supports: those confirmed on a similar past incident."""
    causes = data.get("causes") if tool == TOOL else None
    return {str(c) for c in causes} if isinstance(causes, dict) else set()
