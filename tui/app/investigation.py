"""Runs the planner's investigation for the UI and reports what it does as it does it.

The planner reports through its ``PlannerObserver`` hook; ``ListenerObserver``
translates those reports into the UI's ``InvestigationListener`` calls, which
the incident screen hands to the event loop with ``call_from_thread``. So the
plan is on screen with every step pending before the first one runs, states
change as the executor changes them, and a completion appears token by token.
Imported lazily: the planner pulls in networkx and, for the real model,
llama.cpp.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from models import Diagnosis, Fact, Incident, Plan
from planner.backends.base import Model
from planner.observer import ModelCallKind
from planner.observer import StepState as PlannerStepState
from tui.app.services import InvestigationListener, StepUpdate

RulesRunner = Callable[[Sequence[Fact]], Diagnosis]


class ListenerObserver:
    """A ``PlannerObserver`` that forwards to the UI's listener, in the order the planner reports.

    Step reports carry no dependencies, so they are taken from the plan: a row
    keeps its "Depends" column whichever report redraws it.
    """

    def __init__(self, listener: InvestigationListener) -> None:
        self.listener = listener
        self._depends: dict[str, tuple[str, ...]] = {}

    def on_plan(self, plan: Plan, offered: Sequence[str], chosen: Sequence[str]) -> None:
        self._depends = {step.id: tuple(step.depends_on) for step in plan.steps}
        self.listener.on_plan(plan)

    def on_step(
        self, step_id: str, tool: str, args: dict[str, Any], state: PlannerStepState, summary: str
    ) -> None:
        self.listener.on_step(StepUpdate(step_id, tool, state, summary, self._depends.get(step_id, ())))

    def on_token(self, purpose: str, text: str) -> None:
        self.listener.on_text(text)

    def on_model_call(self, purpose: str, kind: ModelCallKind, output: str, options: Sequence[str]) -> None:
        """A completion's text has streamed already and only needs its line ended; a choice is
        reported whole, as it has no stream."""
        if kind == "choose":
            self.listener.on_text(f"{purpose}: chose {output} (of {len(options)})\n")
        else:
            self.listener.on_text("\n")


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
    from planner.triage import Investigation as PlannerInvestigation

    rules_dx = run_rules(())
    run = PlannerInvestigation(
        incident,
        graph,
        model,
        load_config(),
        run_rules,
        cancel=cancel,
        observer=ListenerObserver(listener),
    )
    return run.run(rules_dx)
