"""The investigation as it runs: the plan's steps with their state, and the model's words as they stream."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Log

from tui.app.services import StepState, StepUpdate

if TYPE_CHECKING:
    from models import Diagnosis, Plan

STATE_STYLE: dict[StepState, str] = {
    "pending": "dim",
    "running": "yellow bold",
    "done": "green",
    "failed": "red",
    "skipped": "dim italic",
    "cancelled": "magenta",
}


class PlannerView(Vertical):
    def __init__(self) -> None:
        super().__init__(id="planner-view")
        self.steps: dict[str, StepUpdate] = {}

    def compose(self) -> ComposeResult:
        yield Label("Idle. Press p to investigate with the planner.", id="planner-status")
        steps: DataTable[str | Text] = DataTable(id="plan-steps", cursor_type="row", show_cursor=False)
        steps.border_title = "Plan"
        yield steps
        log = Log(id="model-output", highlight=False)
        log.border_title = "Model output"
        yield log

    def on_mount(self) -> None:
        steps = self.query_one("#plan-steps", DataTable)
        for label, key in (("Step", "step"), ("Tool", "tool"), ("Depends", "deps"), ("State", "state")):
            steps.add_column(label, key=key)
        steps.add_column("Result", key="summary")

    def set_status(self, text: str | Text) -> None:
        self.query_one("#planner-status", Label).update(text)

    def reset(self) -> None:
        self.steps.clear()
        self._render_steps()
        self.query_one("#model-output", Log).clear()
        self.set_status("Planning…")

    def _render_steps(self) -> None:
        """Redraw from ``steps``: a plan is at most a dozen rows, and a full redraw sizes columns exactly."""
        table = self.query_one("#plan-steps", DataTable)
        table.clear()
        for row in self.steps.values():
            table.add_row(
                row.step,
                row.tool,
                ",".join(row.depends_on) or "—",
                Text(row.state, style=STATE_STYLE[row.state]),
                row.summary,
                key=row.step,
            )

    def show_plan(self, plan: Plan) -> None:
        self.steps = {
            step.id: StepUpdate(step.id, step.tool, "pending", depends_on=tuple(step.depends_on))
            for step in plan.steps
        }
        self._render_steps()
        self.set_status(f"Running {len(plan.steps)} steps. Press c to cancel.")

    def update_step(self, update: StepUpdate) -> None:
        """The plan normally lists every step first; a step reported without one is appended."""
        known = self.steps.get(update.step)
        depends_on = update.depends_on or (known.depends_on if known else ())
        self.steps[update.step] = replace(update, depends_on=depends_on)
        self._render_steps()

    def append_text(self, chunk: str) -> None:
        self.query_one("#model-output", Log).write(chunk)

    def mark_unfinished(self, state: StepState) -> None:
        """On cancel or failure, steps that never ran must not look as if they still might."""
        for key, row in self.steps.items():
            if row.state in ("pending", "running"):
                self.steps[key] = replace(row, state=state)
        self._render_steps()

    def finish(self, diagnosis: Diagnosis) -> None:
        if diagnosis.causes:
            top = diagnosis.causes[0]
            self.set_status(f"Concluded ({diagnosis.path}): {top.title or top.cause} at {top.certainty:.2f}")
        else:
            self.set_status(f"Finished ({diagnosis.path}): no cause concluded")
