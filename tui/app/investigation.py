"""The planner's reports, turned into what the incident screen shows while an investigation runs.

The planner reports through its observer hook from the investigation's
thread; ``ScreenObserver`` turns each report into a listener call, which the
incident screen hands to the event loop with ``call_from_thread``. So the plan
is on screen with every step pending before the first one runs, states change
as the executor changes them, a completion appears token by token, and the
status says which phase the investigation is in (choosing checks, running
them, the model reflecting) rather than the step count long after the steps
are over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from models import Plan
    from sleuth import ModelCallKind, StepState

FINISHED: frozenset[str] = frozenset({"done", "failed", "skipped", "cancelled"})

PLANNING = "Planning: the model chooses the checks to run…"


@dataclass(frozen=True)
class StepUpdate:
    step: str
    tool: str
    state: StepState
    summary: str = ""
    depends_on: tuple[str, ...] = ()


class InvestigationListener(Protocol):
    """What the screen does with each report; called from the investigation's thread."""

    def on_plan(self, plan: Plan) -> None: ...

    def on_step(self, update: StepUpdate) -> None: ...

    def on_text(self, chunk: str) -> None: ...

    def on_phase(self, phase: str) -> None: ...


def steps_phase(total: int, finished: int) -> str:
    if finished < total:
        return f"Running {total} steps: {finished} finished. Press c to cancel."
    return "Steps finished: the rules run on what they found, then the model reflects…"


class ScreenObserver:
    """A planner observer that forwards to a listener, in the order the planner reports.

    Step reports carry no dependencies, so they are taken from the plan: a row
    keeps its "Depends" column whichever report redraws it.
    """

    def __init__(self, listener: InvestigationListener) -> None:
        self.listener = listener
        self._depends: dict[str, tuple[str, ...]] = {}
        self._states: dict[str, str] = {}
        self._writing = ""

    def on_plan(self, plan: Plan, offered: Sequence[str], chosen: Sequence[str]) -> None:
        self._depends = {step.id: tuple(step.depends_on) for step in plan.steps}
        self._states = {step.id: "pending" for step in plan.steps}
        self.listener.on_plan(plan)
        self.listener.on_phase(steps_phase(len(self._states), 0))

    def on_step(self, step_id: str, tool: str, args: dict[str, Any], state: StepState, summary: str) -> None:
        self.listener.on_step(StepUpdate(step_id, tool, state, summary, self._depends.get(step_id, ())))
        self._states[step_id] = state
        finished = sum(s in FINISHED for s in self._states.values())
        self.listener.on_phase(steps_phase(len(self._states), finished))

    def on_token(self, purpose: str, text: str) -> None:
        if purpose != self._writing:
            self._writing = purpose
            self.listener.on_phase(f"The model is writing ({purpose})…")
        self.listener.on_text(text)

    def on_model_call(self, purpose: str, kind: ModelCallKind, output: str, options: Sequence[str]) -> None:
        """A completion's text has streamed already and only needs its line ended; a choice is
        reported whole, as it has no stream."""
        self._writing = ""
        if kind == "choose":
            self.listener.on_text(f"{purpose}: chose {output} (of {len(options)})\n")
        else:
            self.listener.on_text("\n")
        if purpose == "reflect":
            said = f"chose {output}" if kind == "choose" else "answered"
            self.listener.on_phase(f"The model {said}; checking it against the evidence…")
