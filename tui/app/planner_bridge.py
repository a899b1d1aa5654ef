"""Runs the planner's investigation for the UI and reports what it does as it does it.

The planner has no observer hook, so the bridge wraps the two things it calls
out to: the tool registry (each step's start and result) and the model (each
answer, shown as model output). Both wrappers forward and report; neither
changes what the planner decides. Imported lazily: the planner pulls in
networkx and, for the real model, llama.cpp.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from models import Diagnosis, Fact, Incident, PlanStep, ToolResult
from planner.backends.base import Choice, Completion, Model
from planner.tools.base import ToolContext, ToolRegistry
from tui.app.services import InvestigationListener, StepState, StepUpdate

RulesRunner = Callable[[Sequence[Fact]], Diagnosis]


class ObservedRegistry(ToolRegistry):
    """The same tools, reporting each step as running and then done or failed."""

    def __init__(self, inner: ToolRegistry, listener: InvestigationListener) -> None:
        super().__init__()
        for name in inner.names():
            self.register(inner.get(name))
        self.listener = listener

    def run(self, step: PlanStep, ctx: ToolContext) -> ToolResult:
        self.listener.on_step(StepUpdate(step.id, step.tool, "running", depends_on=tuple(step.depends_on)))
        result = super().run(step, ctx)
        state: StepState = "done" if result.ok else "failed"
        summary = result.summary if result.ok else (result.error or "failed")
        self.listener.on_step(StepUpdate(step.id, step.tool, state, summary, tuple(step.depends_on)))
        return result


class ObservedModel:
    """Forwards to the real backend and shows each answer as it arrives."""

    def __init__(self, inner: Model, listener: InvestigationListener) -> None:
        self.inner = inner
        self.listener = listener
        self.name = inner.name

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        grammar_schema: dict[str, Any] | None = None,
        stop: tuple[str, ...] = (),
        cancel: threading.Event | None = None,
    ) -> Completion:
        out = self.inner.complete(
            prompt, max_tokens=max_tokens, grammar_schema=grammar_schema, stop=stop, cancel=cancel
        )
        self.listener.on_text(out.text.strip() + "\n")
        return out

    def choose(self, prompt: str, options: list[str], *, cancel: threading.Event | None = None) -> Choice:
        out = self.inner.choose(prompt, options, cancel=cancel)
        self.listener.on_text(f"chose {out.option} (of {len(options)})\n")
        return out


def investigate(
    incident: Incident,
    *,
    graph: Any,
    run_rules: RulesRunner,
    model: Model,
    listener: InvestigationListener,
    cancel: threading.Event,
) -> Diagnosis:
    """The planner's fallback on an incident, whatever triage would say: the user asked for it."""
    from planner import load_config
    from planner.tools.registry import default_registry
    from planner.triage import Investigation as PlannerInvestigation

    rules_dx = run_rules(())
    run = PlannerInvestigation(
        incident,
        graph,
        ObservedModel(model, listener),
        load_config(),
        run_rules,
        registry=ObservedRegistry(default_registry(), listener),
        cancel=cancel,
    )
    return run.run(rules_dx)
