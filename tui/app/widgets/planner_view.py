"""The investigation as it runs: the phase it is in, the plan's steps with their state, the model's words.

The model output is the investigation's log, not only the model's stream: a
choice (which has no stream) is a line, the conclusion or the cancellation is
a line, and every planner error is a line, so the pane is never blank after a
run, whatever happened. ``enter`` on a step or on the log shows it in full.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Log

from tui.app.investigation import StepUpdate
from tui.app.widgets.tables import DetailTable

if TYPE_CHECKING:
    from models import Diagnosis, Plan
    from sleuth import StepState

STATE_STYLE: dict[StepState, str] = {
    "pending": "dim",
    "running": "yellow bold",
    "done": "green",
    "failed": "red",
    "skipped": "dim italic",
    "cancelled": "magenta",
}

IDLE = "Idle. Press s to start an investigation with the planner."


class ModelLog(Log):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "details", "Details", id="sleuth.planner.log_details"),
    ]

    def action_details(self) -> None:
        from tui.app.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen("Model output", Text("\n".join(self.lines))))


class PlannerView(Vertical):
    def __init__(self) -> None:
        super().__init__(id="planner-view")
        self.steps: dict[str, StepUpdate] = {}

    def compose(self) -> ComposeResult:
        yield Label(IDLE, id="planner-status")
        steps = DetailTable(id="plan-steps", cursor_type="row")
        steps.border_title = "Plan"
        yield steps
        log = ModelLog(id="model-output", highlight=False)
        log.border_title = "Model output"
        yield log

    def on_mount(self) -> None:
        steps = self.query_one("#plan-steps", DataTable)
        for label, key in (("Step", "step"), ("State", "state"), ("Tool", "tool"), ("Depends", "deps")):
            steps.add_column(label, key=key)
        steps.add_column("Result", key="summary")

    def set_status(self, text: str | Text) -> None:
        self.query_one("#planner-status", Label).update(text)

    def reset(self, phase: str) -> None:
        self.steps.clear()
        self._render_steps()
        self.query_one("#model-output", Log).clear()
        self.set_status(phase)

    def _render_steps(self) -> None:
        """Redraw from ``steps``: a plan is at most a dozen rows, and a full redraw sizes columns exactly."""
        table = self.query_one("#plan-steps", DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in self.steps.values():
            table.add_row(
                row.step,
                Text(row.state, style=STATE_STYLE[row.state]),
                row.tool,
                ",".join(row.depends_on) or "—",
                row.summary,
                key=row.step,
            )
        if self.steps:
            table.move_cursor(row=min(max(cursor, 0), len(self.steps) - 1))

    def show_plan(self, plan: Plan) -> None:
        self.steps = {
            step.id: StepUpdate(step.id, step.tool, "pending", depends_on=tuple(step.depends_on))
            for step in plan.steps
        }
        self._render_steps()

    def update_step(self, update: StepUpdate) -> None:
        """The plan normally lists every step first; a step reported without one is appended."""
        known = self.steps.get(update.step)
        depends_on = update.depends_on or (known.depends_on if known else ())
        self.steps[update.step] = replace(update, depends_on=depends_on)
        self._render_steps()

    def append_text(self, chunk: str) -> None:
        self.query_one("#model-output", Log).write(chunk)

    def append_line(self, line: str) -> None:
        """A line of its own, even if the model's last words did not end theirs."""
        log = self.query_one("#model-output", Log)
        if log.lines and log.lines[-1]:
            log.write("\n")
        log.write(line + "\n")

    def mark_unfinished(self, state: StepState) -> None:
        """On cancel or failure, steps that never ran must not look as if they still might."""
        for key, row in self.steps.items():
            if row.state in ("pending", "running"):
                self.steps[key] = replace(row, state=state)
        self._render_steps()

    def finish(self, diagnosis: Diagnosis, *, cancelled: bool = False) -> None:
        """The outcome on the status and in the log, with the planner's errors (it degrades, never fails)."""
        for error in diagnosis.errors:
            self.append_line(f"! {error}")
        if cancelled:
            self.append_line("— cancelled: nothing was concluded")
            self.set_status("Cancelled. Press s to start again.")
            return
        if diagnosis.causes:
            top = diagnosis.causes[0]
            by = "the planner" if top.source == "llm" else "the rules"
            summary = f"{top.title or top.cause} at {top.certainty:.2f}, by {by}"
            self.append_line(f"⇒ concluded {summary}")
            self.set_status(f"Concluded: {summary}. The list shows it too.")
        else:
            self.append_line(f"⇒ no cause concluded ({diagnosis.path})")
            self.set_status(f"Finished ({diagnosis.path}): no cause concluded.")

    def failed(self, message: str, *, cancelled: bool) -> None:
        self.mark_unfinished("cancelled" if cancelled else "failed")
        if cancelled:
            self.append_line("— cancelled")
            self.set_status("Cancelled. Press s to start again.")
        else:
            self.append_line(f"! {message}")
            self.set_status(Text(f"Failed: {message}", style="red"))
