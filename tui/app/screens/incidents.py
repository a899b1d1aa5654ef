"""The home screen: every incident under PATH, its status, the top cause and its certainty.

Listing never parses files, so it paints at once; diagnosis then fills the
rows from a worker, and a one-second mtime poll picks up incidents that are
added, removed or edited while the DBA watches. A rule reload re-diagnoses
whatever the older rules decided, at once, and a broken rule file is said
above the list: a list that silently keeps old answers is worse than none.
The numbers come before the cause's name, so a narrow terminal cuts a title,
never the certainty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from sleuth import IncidentRef
from tui.app.filtering import matches
from tui.app.screens.base import SleuthScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.state import STATUS_STYLE, IncidentStatus, app_state, diagnose_ref
from tui.app.widgets.filter_input import FilterInput
from tui.app.widgets.tables import OpenTable

if TYPE_CHECKING:
    from sleuth import RulesState

POLL_SECONDS = 1.0
COLUMNS = ("name", "status", "cf", "top")


def cells(status: IncidentStatus) -> tuple[str, Text, str, Text]:
    """An error's message goes where the cause would be: it is what the DBA needs to read."""
    top = status.top
    if status.status == "error":
        cause = Text(status.error, style=STATUS_STYLE["error"])
    else:
        cause = Text((top.title or top.cause) if top else "")
    return (
        status.ref.name,
        Text(status.status, style=STATUS_STYLE[status.status]),
        f"{top.certainty:.2f}" if top else "",
        cause,
    )


def row_words(status: IncidentStatus) -> tuple[str, ...]:
    """What ``/`` matches in a row: its name, status, top cause (id and title) and error."""
    top = status.top
    return (status.ref.name, status.status, top.cause if top else "", top.title if top else "", status.error)


class IncidentsScreen(SleuthScreen):
    AUTO_FOCUS = "#incidents-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="sleuth.incidents.filter"),
        Binding("ctrl+r", "rediagnose", "Re-diagnose all", id="sleuth.incidents.rediagnose"),
    ]

    def __init__(self) -> None:
        super().__init__(id="incidents")
        self._fingerprint: tuple[tuple[str, float], ...] = ()
        self.refs: list[IncidentRef] = []
        self.shown: list[IncidentRef] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="incidents-summary")
        yield FilterInput(
            "incidents: name, status, cause or error", id="incidents-filter", list_id="incidents-table"
        )
        table = OpenTable(id="incidents-table", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        table = self.query_one("#incidents-table", DataTable)
        table.add_column("Incident", key="name")
        table.add_column("Status", key="status", width=12)
        table.add_column("CF", key="cf", width=4)
        table.add_column("Top cause (or error)", key="top")
        self.sub_title = str(app_state(self).root)
        self.watch(self.app, "rules_state", self._rules_changed, init=False)
        self._apply_listing(app_state(self).services.list_incidents(app_state(self).root))
        self.set_interval(POLL_SECONDS, self._poll, name="incident-poll")

    def on_screen_resume(self) -> None:
        """Back from an incident or another place: show what changed there (a planner's conclusion)."""
        state = app_state(self)
        for status in self._statuses():
            if status.finished:
                state.settle(status)
        self._rules_changed(None)
        self._fill()

    def _rules_changed(self, _state: RulesState | None) -> None:
        self._summarise()
        if any(app_state(self).stale(s) for s in self._statuses()):
            self._apply_listing(self.refs)

    def _statuses(self) -> list[IncidentStatus]:
        statuses = app_state(self).statuses
        return [statuses[ref.path] for ref in self.refs if ref.path in statuses]

    def _apply_listing(self, refs: list[IncidentRef]) -> None:
        """Rebuild rows for a new listing; incidents neither edited nor diagnosed by older rules keep theirs."""
        self._fingerprint = fingerprint(refs)
        self.refs = refs
        state = app_state(self)
        todo: list[IncidentRef] = []
        for ref in refs:
            if state.fresh(ref) is None:
                state.statuses[ref.path] = IncidentStatus(ref)
                todo.append(ref)
        self._fill()
        if todo:
            # After the frame: importing the core in a thread holds the GIL and would delay the first paint.
            # The worker is exclusive: one still running is cancelled, and what it had left is in ``todo``.
            self.call_after_refresh(self._diagnose, todo)

    def _fill(self) -> None:
        query = self.query_one("#incidents-filter", FilterInput).value
        table = self.query_one("#incidents-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        self.shown = [ref for ref in self.refs if matches(query, row_words(self._status(ref)))]
        for ref in self.shown:
            table.add_row(*cells(self._status(ref)), key=str(ref.path))
        if self.shown:
            table.move_cursor(row=min(max(cursor, 0), len(self.shown) - 1))
        self._summarise()

    def _status(self, ref: IncidentRef) -> IncidentStatus:
        return app_state(self).statuses.get(ref.path) or IncidentStatus(ref)

    def _summarise(self) -> None:
        counts: dict[str, int] = {}
        for ref in self.refs:
            status = self._status(ref).status
            counts[status] = counts.get(status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        text = Text(f"{len(self.refs)} incidents: {parts or 'none'}")
        query = self.query_one("#incidents-filter", FilterInput).value
        if query:
            text.append(
                f" · {len(self.shown)} match “{query}” (escape in the filter clears it)", style="cyan"
            )
        rules = getattr(self.app, "rules_state", None)
        if rules is not None and rules.errors:
            warning = (
                f"rule files are broken: gen {rules.generation} still decides (r shows the errors)"
                if rules.generation
                else "no rules in force: the rule files do not load (r shows the errors)"
            )
            text.append(f"\n{warning}", style="bold red")
        self.query_one("#incidents-summary", Static).update(text)

    def set_status(self, status: IncidentStatus) -> None:
        """Record a worker's result and redraw its row (if the incident is still listed and shown)."""
        status = app_state(self).settle(status)
        table = self.query_one("#incidents-table", DataTable)
        key = str(status.ref.path)
        if key in table.rows:
            for column, value in zip(COLUMNS, cells(status), strict=True):
                table.update_cell(key, column, value)
        self._summarise()

    @work(thread=True, exclusive=True, group="diagnose-all")
    def _diagnose(self, refs: list[IncidentRef]) -> None:
        worker = get_current_worker()
        state = app_state(self)
        for ref in refs:
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self.set_status, IncidentStatus(ref, "diagnosing"))
            result = diagnose_ref(state.services, ref)
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
        if not self.shown or table.cursor_row < 0:
            return None
        return self.shown[min(table.cursor_row, len(self.shown) - 1)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        ref = self.selected()
        if ref is not None:
            self.app.push_screen(IncidentScreen(ref))

    def on_input_changed(self, event: FilterInput.Changed) -> None:
        if event.input.id == "incidents-filter":
            self._fill()

    def action_filter(self) -> None:
        self.query_one("#incidents-filter", FilterInput).open()

    def action_rediagnose(self) -> None:
        """Everything again, from the files as they are now (the planner's conclusions stay)."""
        state = app_state(self)
        for ref in self.refs:
            state.statuses.pop(ref.path, None)
        self._apply_listing(self.refs)


def fingerprint(refs: list[IncidentRef]) -> tuple[tuple[str, float], ...]:
    """What changes when any incident is added, removed or edited (the list polls it)."""
    return tuple((str(r.path), r.mtime) for r in refs)
