"""Diagnose a whole directory: progress while it runs, then one row per incident and the tally.

Where incidents carry ``labels`` (the true causes), the summary counts how
often the top cause is one of them, so a rule author sees at a glance whether
an edit helped.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, ProgressBar
from textual.worker import get_current_worker

from tui.app.screens.incident import IncidentScreen
from tui.app.state import IncidentStatus, app_state, diagnose_ref


def verdict(status: IncidentStatus) -> bool | None:
    """Whether the top cause is a labelled true cause; ``None`` when the incident has no labels."""
    if status.incident is None or not status.incident.labels:
        return None
    top = status.top
    return top is not None and top.cause in status.incident.labels


class BatchScreen(Screen[None]):
    AUTO_FOCUS = "#batch-run"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+b", "run", "Run batch", id="sleuth.batch.run"),
        Binding("ctrl+x", "stop", "Stop", id="sleuth.batch.stop"),
    ]

    def __init__(self) -> None:
        super().__init__(id="batch")
        self.results: list[IncidentStatus] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="batch-controls"):
            yield Input(str(app_state(self).root), id="batch-path")
            yield Button("Run", variant="primary", id="batch-run")
        yield ProgressBar(id="batch-progress", show_eta=False)
        yield Label("Choose a directory and press Run.", id="batch-summary")
        table: DataTable[str | Text] = DataTable(id="batch-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "batch"
        table = self.query_one("#batch-table", DataTable)
        for label in ("Incident", "Path", "Top cause", "CF", "Labels", "Match", "ms"):
            table.add_column(label)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "batch-run":
            self.action_run()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_run()

    def action_run(self) -> None:
        directory = Path(self.query_one("#batch-path", Input).value.strip() or ".").expanduser()
        self.results = []
        self.query_one("#batch-table", DataTable).clear()
        self.query_one("#batch-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#batch-summary", Label).update(f"Listing {directory}…")
        self._run(directory)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens that incident, to see why the batch got it right or wrong."""
        event.stop()
        if 0 <= event.cursor_row < len(self.results):
            self.app.push_screen(IncidentScreen(self.results[event.cursor_row].ref))

    def action_stop(self) -> None:
        self.workers.cancel_group(self, "batch")

    @work(thread=True, exclusive=True, group="batch")
    def _run(self, directory: Path) -> None:
        worker = get_current_worker()
        services = app_state(self).services
        refs = services.list_incidents(directory)
        self.app.call_from_thread(self._started, len(refs))
        for ref in refs:
            if worker.is_cancelled:
                self.app.call_from_thread(self._finished, True)
                return
            self.app.call_from_thread(self.add_result, diagnose_ref(services, ref))
        self.app.call_from_thread(self._finished, False)

    def _started(self, total: int) -> None:
        self.query_one("#batch-progress", ProgressBar).update(total=total, progress=0)
        self.query_one("#batch-summary", Label).update(f"Diagnosing {total} incidents…")

    def add_result(self, status: IncidentStatus) -> None:
        self.results.append(status)
        top = status.top
        match = verdict(status)
        diagnosis = status.diagnosis
        self.query_one("#batch-table", DataTable).add_row(
            status.ref.name,
            Text(status.error, style="red") if status.error else (diagnosis.path if diagnosis else ""),
            (top.title or top.cause) if top else "",
            f"{top.certainty:.2f}" if top else "",
            ", ".join(status.incident.labels) if status.incident else "",
            {True: Text("✓", style="green"), False: Text("✗", style="red"), None: "—"}[match],
            f"{diagnosis.elapsed_ms:.0f}" if diagnosis else "",
        )
        self.query_one("#batch-progress", ProgressBar).advance(1)

    def summary(self) -> str:
        counts = {"explained": 0, "inconclusive": 0, "error": 0}
        for status in self.results:
            counts[status.status] = counts.get(status.status, 0) + 1
        verdicts = [v for v in (verdict(s) for s in self.results) if v is not None]
        text = (
            f"{len(self.results)} diagnosed: {counts['explained']} explained, "
            f"{counts['inconclusive']} inconclusive, {counts['error']} errors"
        )
        if verdicts:
            text += f"; top cause correct in {sum(verdicts)}/{len(verdicts)} labelled"
        return text

    def _finished(self, stopped: bool) -> None:
        self.query_one("#batch-summary", Label).update(("Stopped. " if stopped else "") + self.summary())
