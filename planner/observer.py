"""What an investigation reports while it runs, for whoever watches it (the UI, a log, a test).

The planner calls an observer at the moments a person watching would care
about: the plan is known, a step changes state, the model emits text, a model
call ends. Observers only watch: they cannot change what the planner decides.
Every report comes from the thread that runs the investigation (the executor
reports step states from its own loop, not from the tool threads), in order;
an observer that touches a UI must hand the work to the UI's own thread, and a
slow observer slows the investigation. The default does nothing, so headless
runs pay nothing for the hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from models import Plan

StepState = Literal["pending", "running", "done", "failed", "skipped", "cancelled"]
"""Every state the planner reports for a plan step.

``pending`` until the step starts, ``running`` while its tool runs; it ends ``done``,
``failed`` (the tool failed or timed out, or the budget ran out while it ran),
``skipped`` (never started: a dependency failed, or the budget ran out first) or
``cancelled`` (the caller cancelled, whether it had started or not)."""

TERMINAL_STATES: frozenset[StepState] = frozenset({"done", "failed", "skipped", "cancelled"})

ModelCallKind = Literal["complete", "choose"]


class PlannerObserver(Protocol):
    def on_plan(self, plan: Plan, offered: Sequence[str], chosen: Sequence[str]) -> None:
        """The plan is known, before any step runs; ``offered`` and ``chosen`` are check ids."""

    def on_step(self, step_id: str, tool: str, args: dict[str, Any], state: StepState, summary: str) -> None:
        """A step changed state; ``summary`` is the result (done) or the reason (failed, skipped, cancelled)."""

    def on_token(self, purpose: str, text: str) -> None:
        """A piece of a completion as the backend produces it; the pieces concatenate to the text."""

    def on_model_call(self, purpose: str, kind: ModelCallKind, output: str, options: Sequence[str]) -> None:
        """A model call ended well: the completion's text, or the chosen option among ``options``.

        ``choose`` is not streamed (it scores options, it does not write), so this is
        the only report of a decision.
        """


class NullObserver:
    """Watches nothing: the default when nobody asked to observe."""

    def on_plan(self, plan: Plan, offered: Sequence[str], chosen: Sequence[str]) -> None:
        return None

    def on_step(self, step_id: str, tool: str, args: dict[str, Any], state: StepState, summary: str) -> None:
        return None

    def on_token(self, purpose: str, text: str) -> None:
        return None

    def on_model_call(self, purpose: str, kind: ModelCallKind, output: str, options: Sequence[str]) -> None:
        return None


NULL_OBSERVER: PlannerObserver = NullObserver()
