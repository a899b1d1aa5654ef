"""Diagnose a whole directory: N/M and the time left while it runs, one row per incident, the tally.

The path box has the focus on arrival, since typing a path is the first thing
done here, and the results table takes it once the run starts (so ``enter``
on a row opens that incident and ``c`` stops the run). The planner can take
what the rules leave unexplained; a conclusion the planner reached for an
incident before (here or on its own screen) is shown as it is everywhere.

Where incidents carry ``labels`` (the true causes), the summary counts how
often the top cause is one of them, so a rule author sees at a glance whether
an edit helped.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, DataTable, Input, Label, ProgressBar, Static
from textual.worker import get_current_worker

from sleuth import DiagnoseOptions, LlmMode
from tui.app.filtering import matches
from tui.app.screens.base import SleuthScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.incidents import cells, row_words
from tui.app.state import IncidentStatus, app_state, diagnose_ref
from tui.app.widgets.filter_input import FilterInput
from tui.app.widgets.tables import OpenTable


def verdict(status: IncidentStatus) -> bool | None:
    """Whether the top cause is a labelled true cause; ``None`` when the incident has no labels."""
    if status.incident is None or not status.incident.labels:
        return None
    top = status.top
    return top is not None and top.cause in status.incident.labels


def progress_text(done: int, total: int, elapsed: float) -> str:
    """``12/70 · about 40 s left``: the rate so far, projected over what is left."""
    from sleuth.render.units import duration

    if total == 0:
        return "0/0"
    if done == 0 or done >= total:
        return f"{done}/{total}"
    left = elapsed / done * (total - done)
    return f"{done}/{total} · about {duration(left)} left"


# Fixed widths: rows stream in while the batch runs, and columns sized to what has arrived so far
# would jump with every row (and a long error would push the labels off the screen).
COLUMNS = (
    ("Incident", 24),
    ("Status", 12),
    ("CF", 4),
    ("Match", 5),
    ("Top cause (or error)", 40),
    ("Labels", 28),
)

MATCH = {True: Text("✓", style="green"), False: Text("✗", style="red"), None: Text("—", style="dim")}


class BatchScreen(SleuthScreen):
    AUTO_FOCUS = "#batch-path"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Run batch", id="sleuth.batch.run"),
        Binding("c", "stop", "Stop", id="sleuth.batch.stop"),
        Binding("slash", "filter", "Filter", id="sleuth.batch.filter"),
        Binding("e", "edit_path", "Edit path", id="sleuth.batch.path"),
    ]

    def __init__(self) -> None:
        super().__init__(id="batch")
        self.results: list[IncidentStatus] = []
        self.shown: list[IncidentStatus] = []
        self.total = 0
        self.started = 0.0
        self.running = False

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="batch-controls"):
            yield Input(
                str(app_state(self).root),
                id="batch-path",
                placeholder="directory of incident files",
                compact=True,
            )
            yield Checkbox("planner too", id="batch-planner", compact=True)
            yield Button("Run", variant="primary", id="batch-run", compact=True)
        with Horizontal(id="batch-progress-row"):
            yield ProgressBar(id="batch-progress", show_eta=False)
            yield Label("", id="batch-count")
        yield Static("Type a directory, then enter (or ctrl+r) runs the batch.", id="batch-summary")
        yield FilterInput("results: name, status, cause or error", id="batch-filter", list_id="batch-table")
        yield OpenTable(id="batch-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.sub_title = "batch"
        table = self.query_one("#batch-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)

    def on_screen_resume(self) -> None:
        """A planner run on an incident opened from here shows in its row on the way back."""
        state = app_state(self)
        self.results = [state.settle(s) if s.finished and s.incident is not None else s for s in self.results]
        self._fill()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.running
        if action == "run":
            return None if self.running else True
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "batch-run":
            self.action_run()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "batch-path":
            self.action_run()

    def action_edit_path(self) -> None:
        self.query_one("#batch-path", Input).focus()

    def action_filter(self) -> None:
        self.query_one("#batch-filter", FilterInput).open()

    def action_run(self) -> None:
        if self.running:
            return
        directory = Path(self.query_one("#batch-path", Input).value.strip() or ".").expanduser()
        llm: LlmMode = "auto" if self.query_one("#batch-planner", Checkbox).value else "never"
        self.results = []
        self._fill()
        self.query_one("#batch-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#batch-count", Label).update("")
        self.query_one("#batch-summary", Static).update(f"Listing {directory}…")
        self.running = True
        self.refresh_bindings()
        self.query_one("#batch-table", DataTable).focus()
        self._run(directory, DiagnoseOptions(llm=llm))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens that incident, to see why the batch got it right or wrong."""
        event.stop()
        if 0 <= event.cursor_row < len(self.shown):
            self.app.push_screen(IncidentScreen(self.shown[event.cursor_row].ref))

    def action_stop(self) -> None:
        self.workers.cancel_group(self, "batch")

    @work(thread=True, exclusive=True, group="batch")
    def _run(self, directory: Path, options: DiagnoseOptions) -> None:
        worker = get_current_worker()
        services = app_state(self).services
        refs = services.list_incidents(directory)
        self.app.call_from_thread(self._started, len(refs))
        for ref in refs:
            if worker.is_cancelled:
                self.app.call_from_thread(self._finished, True)
                return
            self.app.call_from_thread(self.add_result, diagnose_ref(services, ref, options))
        self.app.call_from_thread(self._finished, False)

    def _started(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()
        self.query_one("#batch-progress", ProgressBar).update(total=total, progress=0)
        self.query_one("#batch-count", Label).update(progress_text(0, total, 0.0))
        self.query_one("#batch-summary", Static).update(f"Diagnosing {total} incidents… (c stops)")

    def add_result(self, status: IncidentStatus) -> None:
        """A planner's conclusion (this run's or an earlier one) is kept and shown as everywhere else."""
        state = app_state(self)
        if status.diagnosis is not None and status.diagnosis.path == "llm":
            state.remember(status.ref, status.diagnosis)
        status = state.settle(status) if status.incident is not None else status
        self.results.append(status)
        if matches(self.query_one("#batch-filter", FilterInput).value, row_words(status)):
            self.shown.append(status)
            self.query_one("#batch-table", DataTable).add_row(*self._cells(status))
        self.query_one("#batch-progress", ProgressBar).advance(1)
        elapsed = time.monotonic() - self.started
        self.query_one("#batch-count", Label).update(progress_text(len(self.results), self.total, elapsed))

    @staticmethod
    def _cells(status: IncidentStatus) -> tuple[str | Text, ...]:
        """The list's columns, with whether the top cause is a labelled one and the labels."""
        name, state, cf, cause = cells(status)
        labels = ", ".join(status.incident.labels) if status.incident else ""
        return name, state, cf, MATCH[verdict(status)], cause, labels

    def _fill(self) -> None:
        query = self.query_one("#batch-filter", FilterInput).value
        table = self.query_one("#batch-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        self.shown = [s for s in self.results if matches(query, row_words(s))]
        for status in self.shown:
            table.add_row(*self._cells(status))
        if self.shown:
            table.move_cursor(row=min(max(cursor, 0), len(self.shown) - 1))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "batch-filter":
            self._fill()

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for status in self.results:
            counts[status.status] = counts.get(status.status, 0) + 1
        verdicts = [v for v in (verdict(s) for s in self.results) if v is not None]
        tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing"
        text = f"{len(self.results)} diagnosed: {tally}"
        if verdicts:
            text += f"; top cause correct in {sum(verdicts)}/{len(verdicts)} labelled"
        return text

    def _finished(self, stopped: bool) -> None:
        self.running = False
        self.refresh_bindings()
        self.query_one("#batch-count", Label).update(
            f"{len(self.results)}/{self.total}" + (" (stopped)" if stopped else " done")
        )
        self.query_one("#batch-summary", Static).update(("Stopped. " if stopped else "") + self.summary())
