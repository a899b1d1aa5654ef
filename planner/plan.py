"""Plans: code owns the structure, the model only picks which of the graph's checks to run.

A small base model fills free-form plans poorly (it makes steps depend on
themselves), so the model never writes a plan. The graph
proposes hypotheses (candidate causes of the observed symptoms) and the checks
that best separate them; the model chooses among those checks, either by
likelihood (``strategy="choose"``) or as schema-constrained JSON whose enum is
the offered check ids (``strategy="json"``). Invalid JSON gets one repair
attempt; after that, or on any model failure, the graph's own best checks are
the plan. Every plan is validated the same way whoever made it: registry
tools, arguments valid for the tool, dependencies that exist, no cycle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge_graph import Check, KnowledgeGraph
from models import Fact, Plan, PlanStep
from planner import prompts
from planner.backends.base import ModelError
from planner.budget import BudgetExceeded
from planner.config import PlannerConfig
from planner.session import ModelSession
from planner.tools.base import ToolArgsError, ToolRegistry
from planner.tools.history import TOOL as HISTORY_TOOL

PlanSource = Literal["model", "repaired", "graph"]
MAX_STEPS = 12
HISTORY_PRIOR = 3.0


class PlanError(ValueError):
    """A plan (or the model's answer it was built from) is not acceptable."""


@dataclass
class Hypotheses:
    symptoms: list[str]
    candidates: list[tuple[str, float]]
    # Metric ids the incident has series for; a check of any other metric would only fail.
    measurable: frozenset[str] | None = None
    # Prior weight of each candidate when confirmed past incidents vote (None: uniform).
    prior: dict[str, float] | None = None

    @property
    def causes(self) -> list[str]:
        return [c for c, _ in self.candidates]


@dataclass
class PlanOutcome:
    plan: Plan
    source: PlanSource
    offered: list[str]
    chosen: list[str]
    errors: list[str] = field(default_factory=list)

    @property
    def first_layer(self) -> list[str]:
        """Check ids of the steps that depend on nothing (what tool-selection accuracy measures)."""
        first = {s.id for s in self.plan.steps if not s.depends_on}
        return [
            cid for sid, cid in zip(_step_ids(len(self.chosen)), self.chosen, strict=True) if sid in first
        ]


def _step_ids(n: int) -> list[str]:
    return [f"s{i}" for i in range(1, n + 1)]


def hypotheses(
    graph: KnowledgeGraph,
    signals: list[Fact],
    max_candidates: int,
    engine: str | None = None,
    past: Sequence[tuple[str, float]] = (),
) -> Hypotheses:
    """Candidate causes of what was observed; every cause when nothing was (so the model still has options).

    Causes that cannot happen on the incident's engine (a MySQL flush-log storm on PostgreSQL)
    are never offered: the small model cannot be trusted to rule them out itself. ``past``
    are the causes confirmed on similar past incidents with their votes: they come first, and
    weigh on which checks are offered (``HISTORY_PRIOR`` times their share of the votes on top
    of the graph's uniform prior), because most incidents recur.
    """
    symptoms = sorted(graph.observed_symptoms(signals))
    possible = set(graph.cause_ids(engine))
    ranked = [(c, w) for c, w in graph.candidate_causes(set(symptoms)) if c in possible][:max_candidates]
    if not ranked:
        ranked = [(c, 0.0) for c in graph.cause_ids(engine)]
    measurable = frozenset(f.name for f in signals if f.kind == "signal")
    voted = {c: w for c, w in past if c in possible and w > 0}
    if not voted:
        return Hypotheses(symptoms=symptoms, candidates=ranked, measurable=measurable or None)
    total = sum(voted.values())
    first = [(c, round(w / total, 4)) for c, w in voted.items()]
    candidates = (first + [(c, w) for c, w in ranked if c not in voted])[: max(max_candidates, len(first))]
    prior = {c: 1.0 + HISTORY_PRIOR * voted.get(c, 0.0) / total for c, _ in candidates}
    return Hypotheses(symptoms=symptoms, candidates=candidates, measurable=measurable or None, prior=prior)


def validate_plan(plan: Plan, registry: ToolRegistry) -> nx.DiGraph:
    """The plan's DAG; ``PlanError`` names the first problem (unknown tool, bad args, missing dep, cycle)."""
    ids = [s.id for s in plan.steps]
    if len(set(ids)) != len(ids):
        raise PlanError("duplicate step ids")
    dag = nx.DiGraph()
    for step in plan.steps:
        try:
            registry.validate(step.tool, step.args)
        except ToolArgsError as exc:
            raise PlanError(f"step {step.id}: {exc}") from None
        dag.add_node(step.id)
    for step in plan.steps:
        for dep in step.depends_on:
            if dep not in dag:
                raise PlanError(f"step {step.id} depends on unknown step {dep[:20]!r}")
            dag.add_edge(dep, step.id)
    if not nx.is_directed_acyclic_graph(dag):
        cycle = nx.find_cycle(dag)
        raise PlanError(f"dependency cycle: {' -> '.join(str(a) for a, _ in cycle)}")
    return dag


def build_plan(checks: Sequence[Check], rationale: str) -> Plan:
    """First layer: the chosen checks (independent, run in parallel). Second: what moved with the
    first metric that moved — a follow-up that only makes sense once that metric was looked at."""
    steps = [
        PlanStep(id=sid, tool=c.tool, args=dict(c.args))
        for sid, c in zip(_step_ids(len(checks)), checks, strict=True)
    ]
    metric_steps = [
        (s, c) for s, c in zip(steps, checks, strict=True) if c.tool == "compare_window" and c.metric
    ]
    already = {(s.tool, json.dumps(s.args, sort_keys=True)) for s in steps}
    if metric_steps and len(steps) < MAX_STEPS:
        step, check = metric_steps[0]
        args = {"metric": check.metric}
        if ("correlated_metrics", json.dumps(args, sort_keys=True)) not in already:
            steps.append(
                PlanStep(id=f"s{len(steps) + 1}", tool="correlated_metrics", args=args, depends_on=[step.id])
            )
    return Plan(steps=steps, rationale=rationale[:300])


def _with_history(plan: Plan) -> Plan:
    """The plan plus a first-layer step that looks up confirmed past incidents like this one."""
    step = PlanStep(id=f"s{len(plan.steps) + 1}", tool=HISTORY_TOOL)
    return plan.model_copy(update={"steps": [*plan.steps, step]})


class _JsonChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[str] = Field(min_length=1)


def parse_choice(text: str, offered: Sequence[str], size: int) -> list[str]:
    """The check ids of a JSON answer, in order, without repeats; ``PlanError`` if any is not offered."""
    try:
        answer = _JsonChoice.model_validate_json(text.strip() or "{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PlanError(f"not the expected JSON: {first['msg']}") from None
    unknown = [c for c in answer.checks if c not in offered]
    if unknown:
        raise PlanError(f"unknown check {unknown[0][:40]!r}")
    seen: list[str] = []
    for c in answer.checks:
        if c not in seen:
            seen.append(c)
    return seen[:size]


def choice_schema(offered: Sequence[str], size: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "checks": {"type": "array", "items": {"enum": list(offered)}, "minItems": 1, "maxItems": size}
        },
        "required": ["checks"],
        "additionalProperties": False,
    }


class Planner:
    def __init__(
        self, session: ModelSession, registry: ToolRegistry, graph: KnowledgeGraph, config: PlannerConfig
    ) -> None:
        self.session = session
        self.registry = registry
        self.graph = graph
        self.config = config

    def offered_checks(self, hyp: Hypotheses) -> list[Check]:
        """The graph's best checks for the candidates, minus any the registry would reject or that
        look at a metric this incident has no series for."""
        out: list[Check] = []
        for check in self.graph.best_checks(hyp.prior or hyp.causes, k=self.config.max_checks * 4):
            series = check.args.get("metric")
            if hyp.measurable is not None and series is not None and series not in hyp.measurable:
                continue
            try:
                self.registry.validate(check.tool, dict(check.args))
            except ToolArgsError:
                continue
            out.append(check)
            if len(out) == self.config.max_checks:
                break
        return out

    def propose(self, hyp: Hypotheses, prefix: str, history: bool = False) -> PlanOutcome:
        """``history``: also look up similar past incidents (a step of its own, in the first layer)."""
        checks = self.offered_checks(hyp)
        by_id = {c.id: c for c in checks}
        offered = list(by_id)
        if not checks:
            plan = Plan(steps=[PlanStep(id="s1", tool="kg_candidates")], rationale="no checks to choose from")
            plan = _with_history(plan) if history else plan
            validate_plan(plan, self.registry)
            return PlanOutcome(plan, "graph", [], [])
        errors: list[str] = []
        source: PlanSource = "model"
        try:
            if self.config.strategy == "choose":
                chosen = self._choose(prefix, checks, errors)
            else:
                chosen, source = self._json(prefix, checks, errors)
        except (ModelError, PlanError, BudgetExceeded) as exc:
            errors.append(f"planner: {exc}")
            chosen, source = [], "graph"
        if not chosen:
            chosen, source = offered[: self.config.plan_size], "graph"
        plan = build_plan([by_id[c] for c in chosen], rationale=f"{source}: {', '.join(chosen)}")
        plan = _with_history(plan) if history else plan
        validate_plan(plan, self.registry)
        return PlanOutcome(plan, source, offered, chosen, errors)

    def _choose(self, prefix: str, checks: list[Check], errors: list[str]) -> list[str]:
        """One likelihood choice per pick; a failure after the first pick keeps the picks made."""
        pairs = [(c.id, c.title) for c in checks]
        chosen: list[str] = []
        while len(chosen) < min(self.config.plan_size, len(pairs)):
            options = [cid for cid, _ in pairs if cid not in chosen]
            if len(options) == 1:
                chosen.append(options[0])
                break
            prompt = prefix + prompts.plan_question(pairs, chosen)
            try:
                chosen.append(self.session.choose("plan", prompt, options).option)
            except (ModelError, BudgetExceeded) as exc:
                if not chosen:
                    raise
                errors.append(f"planner: stopped after {len(chosen)} picks: {exc}")
                break
        return chosen

    def _json(self, prefix: str, checks: list[Check], errors: list[str]) -> tuple[list[str], PlanSource]:
        pairs = [(c.id, c.title) for c in checks]
        offered = [cid for cid, _ in pairs]
        size = min(self.config.plan_size, len(offered))
        schema = choice_schema(offered, size)
        prompt = prefix + prompts.plan_json_question(pairs, size)
        out = self.session.complete("plan", prompt, max_tokens=24 * size + 16, grammar_schema=schema)
        try:
            return parse_choice(out.text, offered, size), "model"
        except PlanError as exc:
            errors.append(f"plan answer invalid: {exc}")
            repair = prompt + out.text.strip()[:200] + prompts.repair_note(str(exc))
        out = self.session.complete("plan-repair", repair, max_tokens=24 * size + 16, grammar_schema=schema)
        try:
            return parse_choice(out.text, offered, size), "repaired"
        except PlanError as exc:
            errors.append(f"repaired plan answer invalid: {exc}")
            return [], "graph"
