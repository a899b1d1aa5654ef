"""Reflection: the model reads the evidence and names a cause; code decides whether the evidence bears it.

The model's answer is a choice among the graph's candidate causes plus
``inconclusive`` (by likelihood, or as JSON with an enum), never free text.
A conclusion survives only if some tool result it rests on shows a symptom the
graph says that cause produces, or found the cause confirmed by the DBA on a
similar past incident; otherwise it is dropped, however confident the model
was. The survivor is merged with the rules' second run (which saw the
planner's facts) by MYCIN combination, and the graph's ``rank`` orders the
result by certainty and coverage of the observed symptoms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge_graph import KnowledgeGraph
from models import CauseFinding, Diagnosis, Evidence, Fact, ToolResult
from planner import prompts
from planner.backends.base import ModelError
from planner.budget import BudgetExceeded
from planner.config import PlannerConfig
from planner.plan import Hypotheses
from planner.session import ModelSession
from planner.tools.history import SIMILAR_FACT, supported_causes
from planner.tools.history import TOOL as HISTORY_TOOL

# Tools whose summaries name causes from sleuth's own knowledge (the graph's candidates, the DBA's
# confirmed verdicts); every other summary quotes incident text, so cause names in it are masked.
OWN_WORDS = frozenset({HISTORY_TOOL, "kg_candidates", "kg_best_checks"})

INCONCLUSIVE = "inconclusive"
# A likelihood choice ranks every option; this many of the likeliest go on to the graph's ranking,
# so a near-miss of the model can still be placed by coverage (top-3 accuracy).
CONCLUSIONS = 3
MIN_PROBABILITY = 0.05
LEVELS: dict[str, float] = {"low": 0.3, "medium": 0.6, "high": 0.9}


@dataclass
class Conclusion:
    cause: str
    certainty: float
    refs: list[str] = field(default_factory=list)


@dataclass
class Reflection:
    """What the model proposed (best first) and what survived the evidence check."""

    proposed: list[Conclusion] = field(default_factory=list)
    accepted: list[Conclusion] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Conclusions the evidence did not support: the check working as designed, not a failure,
    # so they go to the trace rather than to the diagnosis' errors.
    dropped: list[str] = field(default_factory=list)


class _JsonConclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause: str
    certainty: Literal["low", "medium", "high"]
    refs: list[str] = Field(default_factory=list, max_length=8)


def supporting_steps(graph: KnowledgeGraph, cause: str, results: Sequence[ToolResult]) -> list[str]:
    """Steps whose facts show at least one symptom the cause produces, or that found the cause
    confirmed on a similar past incident."""
    produced = set(graph.symptoms_of(cause))
    return [
        r.step
        for r in results
        if r.ok
        and (produced & graph.observed_symptoms(list(r.facts)) or cause in supported_causes(r.tool, r.data))
    ]


def reflection_schema(options: Sequence[str], steps: Sequence[str]) -> dict[str, Any]:
    refs: dict[str, Any] = {"type": "array", "items": {"enum": list(steps)}, "maxItems": 4}
    if not steps:
        refs = {"type": "array", "maxItems": 0}
    return {
        "type": "object",
        "properties": {"cause": {"enum": list(options)}, "certainty": {"enum": list(LEVELS)}, "refs": refs},
        "required": ["cause", "certainty", "refs"],
        "additionalProperties": False,
    }


class Reflector:
    def __init__(self, session: ModelSession, graph: KnowledgeGraph, config: PlannerConfig) -> None:
        self.session = session
        self.graph = graph
        self.config = config

    def reflect(self, prefix: str, hyp: Hypotheses, results: Sequence[ToolResult]) -> Reflection:
        """``results`` may include the pseudo-step ``s0`` (the rules' signals the prompt already shows)."""
        # Past verdicts are read last: the small model weighs most what it read just before answering.
        ok = sorted((r for r in results if r.ok), key=lambda r: r.tool == HISTORY_TOOL)
        options = [*hyp.causes, INCONCLUSIVE]
        summaries = [(r.step, r.tool, r.summary) for r in ok]
        prompt = prefix + prompts.evidence(summaries, self.graph.cause_ids(), OWN_WORDS) + "\n"
        try:
            if self.config.strategy == "choose":
                proposed = self._choose(prompt, options, ok)
            else:
                proposed = self._json(prompt, options, ok)
        except (ModelError, BudgetExceeded, ValueError) as exc:
            return Reflection(errors=[f"reflection: {exc}"])
        if not proposed or proposed[0].cause == INCONCLUSIVE:
            return Reflection(proposed=proposed)
        dropped: list[str] = []
        accepted: list[Conclusion] = []
        for c in proposed:
            if c.cause == INCONCLUSIVE:
                continue
            support = set(supporting_steps(self.graph, c.cause, ok))
            cited = [s for s in c.refs if s in support]
            if cited:
                accepted.append(Conclusion(c.cause, c.certainty, cited))
            else:
                dropped.append(f"{c.cause}: no cited result shows one of its symptoms")
        return Reflection(proposed, accepted, dropped=dropped)

    def _choose(self, prompt: str, options: list[str], ok: list[ToolResult]) -> list[Conclusion]:
        choice = self.session.choose("reflect", prompt + prompts.reflect_question(options), options)
        top = max(choice.scores.values())
        weights = {o: math.exp(choice.scores[o] - top) if o in choice.scores else 0.0 for o in options}
        total = sum(weights.values())
        ranked = sorted(options, key=lambda o: (o != choice.option, -weights[o], o))
        out: list[Conclusion] = []
        for option in ranked[:CONCLUSIONS]:
            p = weights[option] / total
            if out and p < MIN_PROBABILITY:
                break
            # A likelihood choice cites nothing itself; it rests on every result that supports it.
            refs = supporting_steps(self.graph, option, ok) if option != INCONCLUSIVE else []
            out.append(Conclusion(option, round(p, 4), refs))
        return out

    def _json(self, prompt: str, options: list[str], ok: list[ToolResult]) -> list[Conclusion]:
        steps = [r.step for r in ok]
        schema = reflection_schema(options, steps)
        out = self.session.complete(
            "reflect",
            prompt + prompts.reflect_json_question(options, steps),
            max_tokens=64,
            grammar_schema=schema,
        )
        try:
            answer = _JsonConclusion.model_validate_json(out.text.strip() or "{}")
        except ValidationError as exc:
            raise ValueError(f"answer is not the expected JSON: {exc.errors()[0]['msg']}") from None
        if answer.cause not in options:
            raise ValueError(f"answer names unknown cause {answer.cause[:40]!r}")
        refs = list(dict.fromkeys(r for r in answer.refs if r in steps))  # the grammar cannot forbid repeats
        return [Conclusion(answer.cause, LEVELS[answer.certainty], refs)]


def _confirmed_before(fact: Fact, cause: str) -> bool:
    return fact.name == SIMILAR_FACT and fact.attrs.get("cause") == cause


def _evidence(facts: Sequence[Fact]) -> list[Evidence]:
    out = []
    for f in facts:
        values = {k: v for k, v in f.attrs.items() if isinstance(v, (int, float, bool, str))}
        out.append(Evidence(kind=f.kind, name=f.name, values=values, text=f.text, source=f.source))
    return out


def merge_findings(
    graph: KnowledgeGraph,
    rules: Diagnosis,
    accepted: Sequence[Conclusion],
    results: Sequence[ToolResult],
    model_factor: float = 1.0,
) -> list[CauseFinding]:
    """Rules (second run) + the accepted conclusions, combined as MYCIN factors, ranked by the graph.

    The model enters like one more rule whose certainty factor is ``model_factor``
    (conclusion = its certainty x the factor), so a small model's guess adds to
    the rules' evidence instead of overriding it.
    """
    base = {c.cause: c for c in rules.causes}
    certainties = {c: f.certainty for c, f in base.items() if f.certainty > 0}
    llm = {c.cause: c for c in accepted}
    for c in accepted:
        prior = certainties.get(c.cause, 0.0)
        certainties[c.cause] = prior + c.certainty * model_factor * (1.0 - prior)
    if not certainties:
        return []
    facts = [f for r in results if r.ok for f in r.facts]
    by_step = {r.step: r for r in results}
    out: list[CauseFinding] = []
    for ranked in graph.rank(certainties, [*rules.signals, *facts]):
        cause = str(ranked.cause)
        found = base.get(cause)
        conclusion = llm.get(cause)
        from_llm = conclusion is not None
        evidence = list(found.evidence) if found else []
        if conclusion is not None:
            produced = set(graph.symptoms_of(cause))
            shown = [
                f
                for s in conclusion.refs
                for f in by_step[s].facts
                if produced & graph.observed_symptoms([f]) or _confirmed_before(f, cause)
            ]
            evidence += _evidence(shown)
        out.append(
            CauseFinding(
                cause=cause,
                title=found.title if found and found.title else graph.title(cause),
                certainty=round(min(1.0, float(ranked.certainty)), 4),
                score=float(ranked.score),
                coverage=min(1.0, max(0.0, float(ranked.coverage))),
                evidence=evidence,
                rules=list(found.rules) if found else [],
                chain=list(found.chain) if found else [],
                remediations=list(found.remediations)
                if found and found.remediations
                else graph.remediations(cause),
                source="llm" if from_llm else "rules",
            )
        )
    return out
