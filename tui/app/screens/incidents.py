"""The home screen: every incident under PATH, its status and top cause.

Listing never parses files, so it paints at once; diagnosis then fills the
rows from a worker, and a one-second mtime poll picks up incidents that are
added, removed or edited while the DBA watches.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label
from textual.worker import get_current_worker

from tui.app.discovery import fingerprint
from tui.app.screens.incident import IncidentScreen
from tui.app.services import IncidentRef
from tui.app.state import IncidentStatus, app_state, diagnose_ref

POLL_SECONDS = 1.0

STATUS_STYLE = {
    "pending": "dim",
    "diagnosing": "yellow",
    "explained": "green",
    "inconclusive": "magenta",
    "error": "red",
}


class IncidentsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="sleuth.incidents.open"),
        Binding("ctrl+r", "rediagnose", "Re-diagnose", id="sleuth.incidents.rediagnose"),
    ]

    def __init__(self) -> None:
        super().__init__(id="incidents")
        self._fingerprint: tuple[tuple[str, float], ...] = ()
        self.refs: list[IncidentRef] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="incidents-summary")
        table: DataTable[str | Text] = DataTable(id="incidents-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#incidents-table", DataTable)
        # Fixed widths: rows change as diagnoses land, and a table whose columns jump is hard to read.
        table.add_column("Incident", key="name")
        table.add_column("Status", key="status", width=14)
        table.add_column("Top cause (or error)", key="top", width=40)
        table.add_column("CF", key="cf", width=4)
        self.sub_title = str(app_state(self).root)
        self._apply_listing(app_state(self).services.list_incidents(app_state(self).root))
        self.set_interval(POLL_SECONDS, self._poll, name="incident-poll")

    def on_screen_resume(self) -> None:
        """Back from the rules after a reload: diagnose again what the old rules diagnosed."""
        state = app_state(self)
        if self.refs and any(state.fresh(ref) is None for ref in self.refs):
            self._apply_listing(self.refs)

    def _apply_listing(self, refs: list[IncidentRef]) -> None:
        """Rebuild rows for a new listing; unchanged incidents keep their finished diagnosis."""
        self._fingerprint = fingerprint(refs)
        self.refs = refs
        state = app_state(self)
        table = self.query_one("#incidents-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        todo: list[IncidentRef] = []
        for ref in refs:
            status = state.fresh(ref)
            if status is None:
                status = IncidentStatus(ref)
                state.statuses[ref.path] = status
                todo.append(ref)
            table.add_row(*self._cells(status), key=str(ref.path))
        if refs:
            table.move_cursor(row=min(cursor, len(refs) - 1))
        self._summarise()
        if todo:
            # After the frame: importing the core in a thread holds the GIL and would delay the first paint.
            self.call_after_refresh(self._diagnose, todo)

    @staticmethod
    def _cells(status: IncidentStatus) -> tuple[str, Text, Text, str]:
        """An error's message goes where the cause would be: it is what the DBA needs to read."""
        top = status.top
        if status.status == "error":
            cause = Text(status.error, style=STATUS_STYLE["error"])
        else:
            cause = Text((top.title or top.cause) if top else "")
        return (
            status.ref.name,
            Text(status.status, style=STATUS_STYLE[status.status]),
            cause,
            f"{top.certainty:.2f}" if top else "",
        )

    def _summarise(self) -> None:
        counts: dict[str, int] = {}
        for ref in self.refs:
            status = app_state(self).statuses[ref.path].status
            counts[status] = counts.get(status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.query_one("#incidents-summary", Label).update(f"{len(self.refs)} incidents: {parts or 'none'}")

    def set_status(self, status: IncidentStatus) -> None:
        """Record a worker's result and redraw its row (if the incident is still listed)."""
        app_state(self).statuses[status.ref.path] = status
        table = self.query_one("#incidents-table", DataTable)
        key = str(status.ref.path)
        if key not in table.rows:
            return
        for column, value in zip(("name", "status", "top", "cf"), self._cells(status), strict=True):
            table.update_cell(key, column, value)
        self._summarise()

    @work(thread=True, exclusive=True, group="diagnose-all")
    def _diagnose(self, refs: list[IncidentRef]) -> None:
        worker = get_current_worker()
        state = app_state(self)
        for ref in refs:
            if worker.is_cancelled:
                return
            epoch = state.rules_epoch
            self.app.call_from_thread(self.set_status, IncidentStatus(ref, "diagnosing", rules_epoch=epoch))
            result = diagnose_ref(state.services, ref, epoch)
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self.set_status, result)

    @work(thread=True, exclusive=True, group="incident-poll")
    def _poll(self) -> None:
        refs = app_state(self).services.list_incidents(app_state(self).root)
        if fingerprint(refs) != self._fingerprint:
            self.app.call_from_thread(self._apply_listing, refs)

    def selected(self) -> IncidentRef | None:
        table = self.query_one("#incidents-table", DataTable)
        if not self.refs or table.cursor_row < 0:
            return None
        return self.refs[min(table.cursor_row, len(self.refs) - 1)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        ref = self.selected()
        if ref is not None:
            self.open_incident(ref)

    def open_incident(self, ref: IncidentRef) -> None:
        self.app.push_screen(IncidentScreen(ref))

    def action_rediagnose(self) -> None:
        """After a rules reload, the cached diagnoses are stale: run them all again."""
        state = app_state(self)
        for ref in self.refs:
            state.statuses.pop(ref.path, None)
        self._apply_listing(self.refs)
