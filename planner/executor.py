"""Runs a validated plan: topological layers, independent steps in parallel, each under a timeout.

Layers come from ``networkx.topological_generations``; a layer runs in a
thread pool and the next starts when it is finished, so a step always sees its
dependencies done. The caller's cancel event and the budget are checked before
every step and while a layer is waiting, so cancelling stops the run within
one poll interval. A step that overruns its timeout is reported as failed and
abandoned (Python cannot kill a thread; tools are read-only and the live ones
set server-side statement timeouts), and a step whose dependency failed is
skipped: its premise is missing.

An observer sees every step ``pending`` as soon as the plan is validated, then
each one that starts ``running``, and every step finally ``done``, ``failed``,
``skipped`` or ``cancelled`` (``planner.observer.StepState``); every step
reaches exactly one of those, run or not, so a watcher never shows a step that
still looks as if it might run.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from dataclasses import dataclass, field

import networkx as nx

from models import Plan, PlanStep, ToolResult, TraceEvent
from planner.budget import BudgetExceeded, BudgetMeter, Cancelled
from planner.observer import NULL_OBSERVER, PlannerObserver, StepState
from planner.plan import validate_plan
from planner.tools.base import ToolContext, ToolRegistry
from planner.trace import TraceRecorder

POLL_S = 0.02


@dataclass
class Execution:
    results: list[ToolResult] = field(default_factory=list)
    layers: list[list[str]] = field(default_factory=list)
    stopped: str | None = None

    def ok_results(self) -> list[ToolResult]:
        return [r for r in self.results if r.ok]


def _failed(step: PlanStep, error: str, elapsed_ms: float = 0.0) -> ToolResult:
    return ToolResult(step=step.id, tool=step.tool, ok=False, error=error, elapsed_ms=elapsed_ms)


class Executor:
    def __init__(
        self,
        registry: ToolRegistry,
        meter: BudgetMeter,
        trace: TraceRecorder,
        *,
        step_timeout_s: float = 10.0,
        parallel: int = 4,
        observer: PlannerObserver | None = None,
    ) -> None:
        self.registry = registry
        self.meter = meter
        self.trace = trace
        self.step_timeout_s = step_timeout_s
        self.parallel = parallel
        self.observer = observer or NULL_OBSERVER

    def run(self, plan: Plan, ctx: ToolContext) -> Execution:
        dag = validate_plan(plan, self.registry)
        steps = {s.id: s for s in plan.steps}
        out = Execution(layers=[sorted(layer) for layer in nx.topological_generations(dag)])
        for step in plan.steps:
            self.observer.on_step(step.id, step.tool, step.args, "pending", "")
        done: dict[str, ToolResult] = {}
        pool = cf.ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="sleuth-tool")
        try:
            for layer in out.layers:
                if out.stopped is None:
                    out.stopped = self._run_layer([steps[i] for i in layer], ctx, pool, done)
                else:
                    for sid in layer:
                        done[sid] = _failed(steps[sid], f"not run: {out.stopped}")
                        self._report(steps[sid], done[sid], self._not_run_state())
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        out.results = [done[s.id] for s in plan.steps]
        return out

    def _run_layer(
        self,
        layer: list[PlanStep],
        ctx: ToolContext,
        pool: cf.ThreadPoolExecutor,
        done: dict[str, ToolResult],
    ) -> str | None:
        running: dict[cf.Future[ToolResult], tuple[PlanStep, float, float]] = {}
        stopped: str | None = None
        for step in layer:
            failed_dep = next((d for d in step.depends_on if not done[d].ok), None)
            if failed_dep is not None:
                done[step.id] = self._record(
                    step, _failed(step, f"not run: dependency {failed_dep} failed"), 0.0, "skipped"
                )
                continue
            try:
                self.meter.take_step()
            except (BudgetExceeded, Cancelled) as exc:
                stopped = str(exc)
                done[step.id] = self._record(
                    step, _failed(step, f"not run: {exc}"), 0.0, self._not_run_state()
                )
                continue
            started = self.trace.now_ms()
            self.observer.on_step(step.id, step.tool, step.args, "running", "")
            running[pool.submit(self.registry.run, step, ctx)] = (step, started, time.perf_counter())
        while running:
            finished, _ = cf.wait(running, timeout=POLL_S, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                step, started, t0 = running.pop(fut)
                done[step.id] = self._record(step, fut.result(), started)
            reason = self._interrupt()
            now = time.perf_counter()
            for fut, (step, started, t0) in list(running.items()):
                error = reason or (
                    f"timed out after {self.step_timeout_s:g}s" if now - t0 >= self.step_timeout_s else None
                )
                if error is not None:
                    fut.cancel()
                    running.pop(fut)
                    state = self._interrupted_state() if reason is not None else "failed"
                    done[step.id] = self._record(
                        step, _failed(step, error, (now - t0) * 1000.0), started, state
                    )
            if reason is not None:
                stopped = reason
        return stopped

    def _interrupt(self) -> str | None:
        try:
            self.meter.check()
        except (BudgetExceeded, Cancelled) as exc:
            return str(exc)
        return None

    def _interrupted_state(self) -> StepState:
        """A running step the run stopped: cancelled if the caller asked, else the budget failed it."""
        return "cancelled" if self.meter.cancel.is_set() else "failed"

    def _not_run_state(self) -> StepState:
        """A step the run stopped before it started: cancelled if the caller asked, else skipped."""
        return "cancelled" if self.meter.cancel.is_set() else "skipped"

    def _report(self, step: PlanStep, result: ToolResult, state: StepState | None = None) -> None:
        if state is None:
            state = "done" if result.ok else "failed"
        summary = result.summary if result.ok else (result.error or "failed")
        self.observer.on_step(step.id, step.tool, step.args, state, summary)

    def _record(
        self, step: PlanStep, result: ToolResult, started: float, state: StepState | None = None
    ) -> ToolResult:
        """Trace the step's end and tell the observer; ``state`` defaults to what the result says."""
        self._report(step, result, state)
        self.trace.record(
            TraceEvent(
                kind="tool",
                name=step.tool,
                started_ms=started,
                elapsed_ms=result.elapsed_ms,
                input={"step": step.id, "args": step.args, "depends_on": step.depends_on},
                output={"summary": result.summary, "facts": [f.name for f in result.facts]},
                ok=result.ok,
                error=result.error,
            )
        )
        return result
