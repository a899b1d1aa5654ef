"""The planner watched live: the plan before any step runs, every step to a terminal state,
completions streamed in pieces, decisions reported, and cancellation shown as such."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from models import Diagnosis, Plan, PlanStep
from planner.backends.base import ModelCancelled
from planner.backends.scripted import ScriptedModel, stream_pieces
from planner.config import BudgetLimits, PlannerConfig
from planner.observer import TERMINAL_STATES, ModelCallKind, NullObserver, StepState
from planner.tools import NoArgs, ToolContext, ToolOutput
from planner.triage import diagnose
from tests.planner.fakes import KG, ScriptedRules, incident
from tests.planner.helpers import config
from tests.planner.test_executor import WAIT_S, ctx, executor, ok, registry

PLAN_JSON = '{"checks": ["compare_window_cpu_user", "lock_waits"]}'
REFLECT_JSON = '{"cause": "cpu_saturation", "certainty": "medium", "refs": ["s1"]}'

Event = tuple[Any, ...]


class Recorder:
    """Keeps every report in arrival order; steps report from the executor's threads, hence the lock."""

    def __init__(self, on_event: Callable[[Event], None] | None = None) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._on_event = on_event

    def _add(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    def on_plan(self, plan: Plan, offered: Sequence[str], chosen: Sequence[str]) -> None:
        self._add(("plan", [(s.id, s.tool) for s in plan.steps], list(offered), list(chosen)))

    def on_step(self, step_id: str, tool: str, args: dict[str, Any], state: StepState, summary: str) -> None:
        self._add(("step", step_id, tool, state, summary))

    def on_token(self, purpose: str, text: str) -> None:
        self._add(("token", purpose, text))

    def on_model_call(self, purpose: str, kind: ModelCallKind, output: str, options: Sequence[str]) -> None:
        self._add(("call", purpose, kind, output, list(options)))

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e[0] == kind]

    def last_states(self) -> dict[str, str]:
        return {e[1]: e[3] for e in self.of("step")}


def investigate(
    answers: list[str], cfg: PlannerConfig, observer: Recorder, cancel: threading.Event | None = None
) -> Diagnosis:
    inc = incident()
    return diagnose(
        inc,
        graph=KG,
        run_rules=ScriptedRules(inc, {}),
        model_factory=lambda: ScriptedModel(list(answers)),
        config=cfg,
        cancel=cancel,
        observer=observer,
    )


def test_json_investigation_streams_plans_and_reports_every_step() -> None:
    seen = Recorder()
    dx = investigate([PLAN_JSON, REFLECT_JSON], config(strategy="json", plan_size=2), seen)
    assert dx.path == "llm"
    first_plan = seen.events.index(seen.of("plan")[0])
    first_running = next(i for i, e in enumerate(seen.events) if e[0] == "step" and e[3] == "running")
    assert first_plan < first_running
    # the model's plan streamed word by word before the plan was announced
    assert seen.events[:first_plan] == [
        ("token", "plan", '{"checks": '),
        ("token", "plan", '["compare_window_cpu_user", '),
        ("token", "plan", '"lock_waits"]}'),
        ("call", "plan", "complete", PLAN_JSON, []),
    ]
    steps = [("s1", "compare_window"), ("s2", "lock_waits"), ("s3", "correlated_metrics")]
    # what was offered is the graph's business; the observer hears exactly what the trace records
    noted = next(e.output for e in dx.trace if e.kind == "note" and e.name == "plan")
    assert seen.events[first_plan] == (
        "plan",
        steps,
        noted["offered"],
        ["compare_window_cpu_user", "lock_waits"],
    )
    # every step is pending as soon as the plan is known, before any runs
    assert seen.events[first_plan + 1 : first_running] == [
        ("step", sid, tool, "pending", "") for sid, tool in steps
    ]
    assert seen.last_states() == {"s1": "done", "s2": "done", "s3": "done"}
    for sid, _tool in steps:
        assert [e[3] for e in seen.of("step") if e[1] == sid] == ["pending", "running", "done"]
    reflect_tokens = [e[2] for e in seen.of("token") if e[1] == "reflect"]
    assert reflect_tokens == stream_pieces(REFLECT_JSON)
    assert len(reflect_tokens) == 6 and "".join(reflect_tokens) == REFLECT_JSON
    assert seen.events[-1] == ("call", "reflect", "complete", REFLECT_JSON, [])


def test_choices_are_reported_whole_and_never_streamed() -> None:
    seen = Recorder()
    investigate(["compare_window_cpu_user", "lock_waits", "cpu_saturation"], config(plan_size=2), seen)
    assert seen.of("token") == []
    causes = ["cpu_saturation", "lock_contention", "io_saturation", "inconclusive"]
    assert [e for e in seen.of("call") if e[1] == "reflect"] == [
        ("call", "reflect", "choose", "cpu_saturation", causes)
    ]
    assert [(e[1], e[2], e[3]) for e in seen.of("call") if e[1] == "plan"] == [
        ("plan", "choose", "compare_window_cpu_user"),
        ("plan", "choose", "lock_waits"),
    ]
    assert set(seen.last_states().values()) <= TERMINAL_STATES


def test_cancelling_once_the_plan_is_known_cancels_every_step() -> None:
    cancel = threading.Event()

    def cancel_on_plan(event: Event) -> None:
        if event[0] == "plan":
            cancel.set()

    seen = Recorder(cancel_on_plan)
    dx = investigate([PLAN_JSON, REFLECT_JSON], config(strategy="json", plan_size=2), seen, cancel)
    assert dx.path == "inconclusive"
    assert dx.errors[-1] == "planner: cancelled by the caller"
    assert [e[3] for e in seen.of("step") if e[3] != "pending"] == ["cancelled"] * 3
    assert seen.last_states() == {"s1": "cancelled", "s2": "cancelled", "s3": "cancelled"}
    assert all(e[4].endswith("cancelled by the caller") for e in seen.of("step") if e[3] == "cancelled")


def test_a_step_running_when_cancelled_ends_cancelled_and_its_dependents_too() -> None:
    cancel = threading.Event()
    release = threading.Event()

    def block(_c: ToolContext, _a: NoArgs, _s: str) -> ToolOutput:
        cancel.set()
        release.wait(WAIT_S)
        return ToolOutput(summary="too late")

    ex, _ = executor(registry(block=block, ok=ok), cancel=cancel)
    seen = Recorder()
    ex.observer = seen
    plan = Plan(steps=[PlanStep(id="s1", tool="block"), PlanStep(id="s2", tool="ok", depends_on=["s1"])])
    try:
        ex.run(plan, ctx(cancel))
    finally:
        release.set()
    assert seen.events == [
        ("step", "s1", "block", "pending", ""),
        ("step", "s2", "ok", "pending", ""),
        ("step", "s1", "block", "running", ""),
        ("step", "s1", "block", "cancelled", "cancelled by the caller"),
        ("step", "s2", "ok", "cancelled", "not run: cancelled by the caller"),
    ]


def test_a_failed_step_fails_and_its_dependents_are_skipped_not_cancelled() -> None:
    def boom(_c: ToolContext, _a: NoArgs, _s: str) -> ToolOutput:
        raise RuntimeError("no data")

    ex, _ = executor(registry(boom=boom, ok=ok))
    seen = Recorder()
    ex.observer = seen
    ex.run(
        Plan(steps=[PlanStep(id="s1", tool="boom"), PlanStep(id="s2", tool="ok", depends_on=["s1"])]), ctx()
    )
    assert seen.of("step")[2:] == [
        ("step", "s1", "boom", "running", ""),
        ("step", "s1", "boom", "failed", "RuntimeError: no data"),
        ("step", "s2", "ok", "skipped", "not run: dependency s1 failed"),
    ]


def test_steps_past_an_exhausted_budget_are_skipped_not_cancelled() -> None:
    ex, _ = executor(registry(ok=ok), BudgetLimits(steps=1))
    seen = Recorder()
    ex.observer = seen
    plan = Plan(
        steps=[
            PlanStep(id="s1", tool="ok"),
            PlanStep(id="s2", tool="ok"),
            PlanStep(id="s3", tool="ok", depends_on=["s1"]),
        ]
    )
    ex.run(plan, ctx())
    assert seen.of("step")[3:] == [
        ("step", "s1", "ok", "running", ""),
        ("step", "s2", "ok", "skipped", "not run: budget exhausted: steps (limit 1)"),
        ("step", "s1", "ok", "done", "ok s1"),
        ("step", "s3", "ok", "skipped", "not run: budget exhausted: steps (limit 1)"),
    ]
    assert set(seen.last_states().values()) <= TERMINAL_STATES


def test_scripted_streaming_stops_between_pieces_when_cancelled() -> None:
    cancel = threading.Event()
    pieces: list[str] = []

    def take(piece: str) -> None:
        pieces.append(piece)
        cancel.set()

    model = ScriptedModel(["one two three"])
    try:
        model.complete("P", max_tokens=8, cancel=cancel, on_token=take)
    except ModelCancelled as exc:
        assert str(exc) == "cancelled while streaming"
    else:
        raise AssertionError("a cancelled stream must raise")
    assert pieces == ["one "]


def test_streamed_pieces_concatenate_to_the_completion() -> None:
    pieces: list[str] = []
    out = ScriptedModel(["  lead, then words\n"]).complete("P", max_tokens=8, on_token=pieces.append)
    assert pieces == ["  ", "lead, ", "then ", "words\n"]
    assert "".join(pieces) == out.text


def test_the_null_observer_is_the_silent_default() -> None:
    dx = diagnose(
        incident(),
        graph=KG,
        run_rules=ScriptedRules(incident(), {}),
        model_factory=lambda: ScriptedModel([PLAN_JSON, REFLECT_JSON]),
        config=config(strategy="json", plan_size=2),
        observer=NullObserver(),
    )
    assert dx.path == "llm"
