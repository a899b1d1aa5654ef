"""The investigation as it runs: the plan's steps with their state, and the model's words as they stream."""

from __future__ import annotations

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
        self.query_one("#plan-steps", DataTable).clear()
        self.query_one("#model-output", Log).clear()
        self.set_status("Planning…")

    def show_plan(self, plan: Plan) -> None:
        steps = self.query_one("#plan-steps", DataTable)
        steps.clear()
        for step in plan.steps:
            steps.add_row(
                step.id,
                step.tool,
                ",".join(step.depends_on) or "—",
                Text("pending", style=STATE_STYLE["pending"]),
                "",
                key=step.id,
            )
        self.set_status(f"Running {len(plan.steps)} steps. Press c to cancel.")

    def update_step(self, update: StepUpdate) -> None:
        steps = self.query_one("#plan-steps", DataTable)
        if update.step not in steps.rows:  # a planner that reports steps only as they run
            steps.add_row(update.step, update.tool, ",".join(update.depends_on) or "—", "", "", key=update.step)
        steps.update_cell(
            update.step, "state", Text(update.state, style=STATE_STYLE[update.state]), update_width=True
        )
        steps.update_cell(update.step, "summary", update.summary, update_width=True)

    def append_text(self, chunk: str) -> None:
        self.query_one("#model-output", Log).write(chunk)

    def mark_unfinished(self, state: StepState) -> None:
        """On cancel or failure, steps that never ran must not look as if they still might."""
        steps = self.query_one("#plan-steps", DataTable)
        for row_key in list(steps.rows):
            cell = steps.get_cell(row_key, "state")
            if str(cell) in ("pending", "running"):
                steps.update_cell(row_key, "state", Text(state, style=STATE_STYLE[state]))

    def finish(self, diagnosis: Diagnosis) -> None:
        if diagnosis.causes:
            top = diagnosis.causes[0]
            self.set_status(f"Concluded ({diagnosis.path}): {top.title or top.cause} at {top.certainty:.2f}")
        else:
            self.set_status(f"Finished ({diagnosis.path}): no cause concluded")
