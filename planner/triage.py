"""Triage: the rules answer first; the planner investigates only what they leave open.

The planner runs (``mode="auto"``) when the rules' best cause is below
``certainty_threshold`` — including when they conclude nothing — or when they
are *contradictory*. Contradictory is defined from the graph, not from
certainties alone, because several causes may rightly hold at once (a
compound incident): the top two causes are contradictory when their
certainties are within ``contradiction_margin`` of each other and they are
alternatives — each explains observed symptoms and the sets they explain
overlap by at least half (Jaccard). Two causes explaining different symptoms
are a compound incident and need no arbitration.

``mode="never"`` (``--no-llm``) returns the rules' diagnosis as is;
``mode="always"`` (``--llm always``) investigates regardless, and notes the
rules-only answer in the trace for comparison. ``Diagnosis.path`` says who
answered: ``rules``, ``llm`` (the planner ran and concluded), ``inconclusive``,
or ``healthy`` (nothing abnormal; the planner never starts, whatever the mode).

An optional ``PlannerObserver`` watches the investigation live (the plan as
soon as it is chosen, each step's state, the model's text as it streams); the
trace records the same things after the fact.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge_graph import KnowledgeGraph
from models import Diagnosis, Fact, Incident, ToolResult, TraceEvent
from planner import prompts
from planner.backends.base import Model
from planner.budget import BudgetMeter, Cancelled
from planner.config import PlannerConfig
from planner.executor import Executor
from planner.observer import PlannerObserver
from planner.plan import Planner, hypotheses
from planner.reflect import Reflector, merge_findings
from planner.session import ModelSession
from planner.tools.base import ToolContext, ToolRegistry
from planner.tools.datasource import DataSource, IncidentSource
from planner.tools.history import IncidentHistory, cause_votes
from planner.tools.registry import default_registry
from planner.trace import TraceRecorder
from rules.facts import incident_observations

RulesRunner = Callable[[Sequence[Fact]], Diagnosis]
"""Runs the rules on the incident with extra (planner) facts; the first call passes none."""

ALTERNATIVE_OVERLAP = 0.5
# Past incidents whose confirmed causes vote on the planner's hypotheses.
HISTORY_NEIGHBOURS = 5


def novel_facts(found: Sequence[Fact], known: Sequence[Fact]) -> list[Fact]:
    """Planner facts the rules have not already seen.

    Over an incident file the workload tools re-read what the rules' own
    observations read; passing those again would count the same evidence twice
    in MYCIN's parallel combination. Signal facts are keyed by metric (one
    signal per metric), observations by name and attributes.
    """
    signals = {f.name for f in known if f.kind == "signal"}
    seen: set[tuple[str, str, tuple[tuple[str, float | str | bool], ...]]] = {
        (f.kind, f.name, tuple(sorted(f.attrs.items()))) for f in known if f.kind != "signal"
    }
    out: list[Fact] = []
    for f in found:
        key = (f.kind, f.name, tuple(sorted(f.attrs.items())))
        if (f.kind == "signal" and f.name in signals) or key in seen:
            continue
        seen.add(key)
        if f.kind == "signal":
            signals.add(f.name)
        out.append(f)
    return out


SIGNALS_SHOWN = 8


def signals_result(graph: KnowledgeGraph, signals: Sequence[Fact]) -> ToolResult:
    """The rules' signals as evidence ``s0``: the model reads them, so a conclusion may rest on them."""
    moved = sorted(
        (f for f in signals if f.attrs.get("direction") in ("up", "down")),
        key=lambda f: (-abs(float(f.attrs.get("score", 0.0))), f.name),
    )[:SIGNALS_SHOWN]
    text = "; ".join(
        f"{f.name} {f.attrs.get('direction')} x{float(f.attrs.get('ratio', 1.0)):.2g}" for f in moved
    )
    symptoms = sorted(graph.observed_symptoms(list(signals)))
    summary = f"moved: {text or 'nothing'}; symptoms: {', '.join(symptoms) or 'none'}"
    return ToolResult(step="s0", tool="signals", ok=True, summary=summary, facts=list(signals))


@dataclass(frozen=True)
class Verdict:
    needed: bool
    reason: str


def alternatives(graph: KnowledgeGraph, a: str, b: str, observed: set[str]) -> bool:
    """Whether two causes compete for the same evidence (rather than both being true)."""
    ea = set(graph.symptoms_of(a)) & observed
    eb = set(graph.symptoms_of(b)) & observed
    if not ea or not eb:
        return False
    return len(ea & eb) / len(ea | eb) >= ALTERNATIVE_OVERLAP


def needs_planner(dx: Diagnosis, graph: KnowledgeGraph, config: PlannerConfig) -> Verdict:
    ranked = sorted(dx.causes, key=lambda c: -c.certainty)
    if not ranked:
        return Verdict(True, "the rules concluded no cause")
    top = ranked[0]
    if top.certainty < config.certainty_threshold:
        return Verdict(True, f"best rule certainty {top.certainty:.2f} < {config.certainty_threshold:.2f}")
    if len(ranked) > 1:
        second = ranked[1]
        close = top.certainty - second.certainty <= config.contradiction_margin
        observed = graph.observed_symptoms(dx.signals)
        if close and alternatives(graph, top.cause, second.cause, observed):
            return Verdict(
                True,
                f"contradictory: {top.cause} ({top.certainty:.2f}) and {second.cause} "
                f"({second.certainty:.2f}) explain the same symptoms",
            )
    return Verdict(False, f"rules concluded {top.cause} ({top.certainty:.2f})")


@dataclass
class Investigation:
    """Everything one fallback needs; built by ``diagnose`` or directly by tests and the bench."""

    incident: Incident
    graph: KnowledgeGraph
    model: Model
    config: PlannerConfig
    run_rules: RulesRunner
    source: DataSource | None = None
    registry: ToolRegistry | None = None
    cancel: threading.Event | None = None
    observer: PlannerObserver | None = None
    history: IncidentHistory | None = None

    def run(self, rules_dx: Diagnosis) -> Diagnosis:
        t0 = time.perf_counter()
        trace = TraceRecorder()
        meter = BudgetMeter(self.config.budget, self.cancel)
        session = ModelSession(self.model, meter, trace, self.observer)
        registry = self.registry or default_registry()
        engine = self.incident.instance.engine
        past = []
        if self.history is not None:
            past = cause_votes(self.history.similar(rules_dx.signals, engine, HISTORY_NEIGHBOURS))
        hyp = hypotheses(self.graph, rules_dx.signals, self.config.max_candidates, engine, past)
        prefix = prompts.HEADER + prompts.context(
            self.incident.instance.engine,
            self.incident.title or self.incident.id,
            hyp.symptoms,
            hyp.candidates,
            causes=self.graph.cause_ids(),
        )
        errors: list[str] = []
        try:
            planner = Planner(session, registry, self.graph, self.config)
            outcome = planner.propose(hyp, prefix, history=bool(past))
            errors += outcome.errors
            trace.note(
                "plan",
                {
                    "source": outcome.source,
                    "offered": outcome.offered,
                    "chosen": outcome.chosen,
                    "first_layer": outcome.first_layer,
                    "plan": outcome.plan.model_dump(),
                },
            )
            if self.observer is not None:
                self.observer.on_plan(outcome.plan, outcome.offered, outcome.chosen)
            ctx = ToolContext(
                source=self.source or IncidentSource(self.incident),
                graph=self.graph,
                window=rules_dx.window or self.incident.window,
                signals=list(rules_dx.signals),
                candidates=hyp.causes,
                done_checks=set(outcome.chosen),
                cancel=meter.cancel,
                history=self.history,
            )
            execution = Executor(
                registry,
                meter,
                trace,
                step_timeout_s=self.config.step_timeout_s,
                parallel=self.config.parallel,
                observer=self.observer,
            ).run(outcome.plan, ctx)
            if execution.stopped:
                errors.append(f"executor stopped: {execution.stopped}")
            # an exhausted budget still concludes from what was found; a cancel does not
            if meter.cancel.is_set():
                raise Cancelled("cancelled by the caller")
        except Cancelled as exc:
            trace.budget(meter.figures())
            return self._partial(rules_dx, trace, [*errors, f"planner: {exc}"], t0)
        found = [f for r in execution.results if r.ok for f in r.facts]
        facts = novel_facts(found, self._known_facts(rules_dx))
        r0 = time.perf_counter()
        second = self.run_rules(facts)
        trace.record(
            TraceEvent(
                kind="rules",
                name="rules-with-planner-facts",
                started_ms=trace.now_ms(),
                elapsed_ms=(time.perf_counter() - r0) * 1000.0,
                input={"extra_facts": len(facts), "found": len(found)},
                output=[c.cause for c in second.causes],
            )
        )
        done = "\n".join(f"Check {i}: {c}" for i, c in enumerate(outcome.chosen, start=1))
        evidence = [signals_result(self.graph, rules_dx.signals), *execution.results]
        reflection = Reflector(session, self.graph, self.config).reflect(f"{prefix}{done}\n", hyp, evidence)
        errors += reflection.errors
        trace.note(
            "reflection",
            {
                "proposed": [c.__dict__ for c in reflection.proposed],
                "accepted": [c.__dict__ for c in reflection.accepted],
                "dropped": reflection.dropped,
            },
        )
        trace.budget(meter.figures())
        causes = merge_findings(
            self.graph, second, reflection.accepted, evidence, self.config.model_certainty_factor
        )
        return Diagnosis(
            incident=self.incident.id,
            title=self.incident.title,
            path="llm" if causes else "inconclusive",
            causes=causes,
            window=second.window or rules_dx.window,
            window_inferred=second.window_inferred,
            signals=second.signals,
            errors=[*second.errors, *errors],
            elapsed_ms=(time.perf_counter() - t0) * 1000.0,
            trace=[*rules_dx.trace, *trace.events],
            labels=list(self.incident.labels),
        )

    def _known_facts(self, rules_dx: Diagnosis) -> list[Fact]:
        """Exactly what the rules' pipeline feeds the engine besides planner facts."""
        return [*rules_dx.signals, *incident_observations(self.incident)]

    def _partial(self, rules_dx: Diagnosis, trace: TraceRecorder, errors: list[str], t0: float) -> Diagnosis:
        """Cancelled: the rules' answer stands, with what the planner did so far in the trace."""
        return rules_dx.model_copy(
            update={
                "errors": [*rules_dx.errors, *errors],
                "trace": [*rules_dx.trace, *trace.events],
                "elapsed_ms": rules_dx.elapsed_ms + (time.perf_counter() - t0) * 1000.0,
            }
        )


def diagnose(
    incident: Incident,
    *,
    graph: KnowledgeGraph,
    run_rules: RulesRunner,
    model_factory: Callable[[], Model],
    config: PlannerConfig,
    source: DataSource | None = None,
    registry: ToolRegistry | None = None,
    cancel: threading.Event | None = None,
    observer: PlannerObserver | None = None,
    history: IncidentHistory | None = None,
) -> Diagnosis:
    """Rules first, then the planner if triage says so; the model is only created when it is needed.

    ``history`` holds the confirmed past incidents the planner may consult (none by default).
    """
    t0 = time.perf_counter()
    rules_dx = run_rules(())
    if config.mode == "never":
        return rules_dx
    if rules_dx.path == "healthy":
        # Nothing in the capture differs from its own noise: a model asked for a cause invents one.
        why = TraceEvent(kind="note", name="triage", output={"mode": config.mode, "reason": "healthy"})
        return rules_dx.model_copy(update={"trace": [*rules_dx.trace, why]})
    verdict = needs_planner(rules_dx, graph, config)
    note = TraceEvent(kind="note", name="triage", output={"mode": config.mode, "reason": verdict.reason})
    if config.mode == "auto" and not verdict.needed:
        return rules_dx.model_copy(update={"trace": [*rules_dx.trace, note]})
    if config.mode == "always":
        rules_only = [{"cause": c.cause, "certainty": c.certainty} for c in rules_dx.causes[:3]]
        note = note.model_copy(update={"output": {**note.output, "rules_only": rules_only}})
    investigation = Investigation(
        incident, graph, model_factory(), config, run_rules, source, registry, cancel, observer, history
    )
    dx = investigation.run(rules_dx.model_copy(update={"trace": [*rules_dx.trace, note]}))
    return dx.model_copy(update={"elapsed_ms": (time.perf_counter() - t0) * 1000.0})
