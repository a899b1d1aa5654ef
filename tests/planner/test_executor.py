from __future__ import annotations

import threading
from collections.abc import Callable

from models import Plan, PlanStep
from planner.budget import BudgetMeter
from planner.config import BudgetLimits
from planner.executor import Executor
from planner.tools import IncidentSource, NoArgs, Tool, ToolContext, ToolOutput, ToolRegistry
from planner.trace import TraceRecorder
from tests.planner.fakes import KG, incident

WAIT_S = 5.0


class Rendezvous:
    """Two tools that each wait for the other: they can only both succeed if they overlap in time."""

    def __init__(self) -> None:
        self.a_started = threading.Event()
        self.b_started = threading.Event()

    def a(self, _ctx: ToolContext, _args: NoArgs, _step: str) -> ToolOutput:
        self.a_started.set()
        return ToolOutput(summary=f"saw b: {self.b_started.wait(WAIT_S)}")

    def b(self, _ctx: ToolContext, _args: NoArgs, _step: str) -> ToolOutput:
        self.b_started.set()
        return ToolOutput(summary=f"saw a: {self.a_started.wait(WAIT_S)}")


ToolFn = Callable[[ToolContext, NoArgs, str], ToolOutput]


def registry(**fns: ToolFn) -> ToolRegistry:
    reg = ToolRegistry()
    for name, fn in fns.items():
        reg.register(Tool(name, name, NoArgs, fn))
    return reg


def ctx(cancel: threading.Event | None = None) -> ToolContext:
    inc = incident()
    return ToolContext(IncidentSource(inc), KG, inc.window, cancel=cancel or threading.Event())


def executor(
    reg: ToolRegistry,
    limits: BudgetLimits | None = None,
    *,
    cancel: threading.Event | None = None,
    step_timeout_s: float = 10.0,
) -> tuple[Executor, TraceRecorder]:
    trace = TraceRecorder()
    meter = BudgetMeter(limits or BudgetLimits(), cancel)
    return Executor(reg, meter, trace, step_timeout_s=step_timeout_s), trace


def ok(_ctx: ToolContext, _args: NoArgs, step: str) -> ToolOutput:
    return ToolOutput(summary=f"ok {step}")


def test_independent_steps_run_in_parallel() -> None:
    r = Rendezvous()
    ex, _ = executor(registry(a=r.a, b=r.b))
    out = ex.run(Plan(steps=[PlanStep(id="s1", tool="a"), PlanStep(id="s2", tool="b")]), ctx())
    assert out.layers == [["s1", "s2"]]
    assert [(x.step, x.summary) for x in out.results] == [("s1", "saw b: True"), ("s2", "saw a: True")]


def test_dependent_step_waits_for_its_dependency() -> None:
    order: list[str] = []

    def first(_c: ToolContext, _a: NoArgs, step: str) -> ToolOutput:
        order.append(step)
        return ToolOutput(summary="first")

    def second(_c: ToolContext, _a: NoArgs, step: str) -> ToolOutput:
        order.append(step)
        return ToolOutput(summary="second")

    ex, trace = executor(registry(first=first, second=second))
    plan = Plan(steps=[PlanStep(id="s1", tool="second", depends_on=["s2"]), PlanStep(id="s2", tool="first")])
    out = ex.run(plan, ctx())
    assert out.layers == [["s2"], ["s1"]]
    assert order == ["s2", "s1"]
    assert [e.input["step"] for e in trace.events] == ["s2", "s1"]


def test_a_step_over_its_timeout_fails_and_the_rest_continue() -> None:
    release = threading.Event()

    def hang(_c: ToolContext, _a: NoArgs, _s: str) -> ToolOutput:
        release.wait(WAIT_S)
        return ToolOutput(summary="late")

    ex, _ = executor(registry(hang=hang, ok=ok), step_timeout_s=0.05)
    try:
        out = ex.run(Plan(steps=[PlanStep(id="s1", tool="hang"), PlanStep(id="s2", tool="ok")]), ctx())
    finally:
        release.set()
    assert [(x.ok, x.error) for x in out.results] == [(False, "timed out after 0.05s"), (True, None)]
    assert out.stopped is None


def test_failed_dependency_skips_the_dependent_step() -> None:
    def boom(_c: ToolContext, _a: NoArgs, _s: str) -> ToolOutput:
        raise RuntimeError("no data")

    ex, _ = executor(registry(boom=boom, ok=ok))
    out = ex.run(
        Plan(steps=[PlanStep(id="s1", tool="boom"), PlanStep(id="s2", tool="ok", depends_on=["s1"])]), ctx()
    )
    assert [x.error for x in out.results] == ["RuntimeError: no data", "not run: dependency s1 failed"]


def test_step_budget_stops_the_run() -> None:
    ex, _ = executor(registry(ok=ok), BudgetLimits(steps=2))
    plan = Plan(steps=[PlanStep(id=f"s{i}", tool="ok") for i in range(1, 4)])
    out = ex.run(plan, ctx())
    assert [x.ok for x in out.results] == [True, True, False]
    assert out.results[2].error == "not run: budget exhausted: steps (limit 2)"
    assert out.stopped == "budget exhausted: steps (limit 2)"


def test_wall_time_budget_stops_before_any_step() -> None:
    ex, _ = executor(registry(ok=ok), BudgetLimits(wall_s=1e-9))
    out = ex.run(Plan(steps=[PlanStep(id="s1", tool="ok")]), ctx())
    assert out.results[0].error == "not run: budget exhausted: wall time (limit 1e-09)"


def test_cancellation_interrupts_a_running_layer_and_skips_the_next() -> None:
    cancel = threading.Event()
    started = threading.Event()
    release = threading.Event()

    def block(_c: ToolContext, _a: NoArgs, _s: str) -> ToolOutput:
        started.set()
        release.wait(WAIT_S)
        return ToolOutput(summary="too late")

    def canceller() -> None:
        started.wait(WAIT_S)
        cancel.set()

    ex, _ = executor(registry(block=block, ok=ok), cancel=cancel)
    t = threading.Thread(target=canceller)
    t.start()
    plan = Plan(steps=[PlanStep(id="s1", tool="block"), PlanStep(id="s2", tool="ok", depends_on=["s1"])])
    try:
        out = ex.run(plan, ctx(cancel))
    finally:
        release.set()
        t.join()
    assert out.stopped == "cancelled by the caller"
    assert [x.error for x in out.results] == ["cancelled by the caller", "not run: cancelled by the caller"]
