"""The fleet: every watched server's state, how fresh its last sample is, its open incident, its trends.

The watch loops run on their own threads (``sleuth tui --fleet``); this
screen only reads their status once a second, so a slow server never slows
the screen. The columns that matter most come first (state, age, the top
cause), so a narrow terminal cuts the trend lines, never the news. ``enter``
opens the server's open incident (or its last one) in the incident screen,
the file the watcher keeps rewriting as the incident grows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from sleuth import IncidentRef
from sleuth.render import units
from tui.app.filtering import matches
from tui.app.screens.base import SleuthScreen
from tui.app.widgets.filter_input import FilterInput
from tui.app.widgets.tables import OpenTable

if TYPE_CHECKING:
    from sleuth.watch import ServerStatus

POLL_SECONDS = 1.0
BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 16
# The cause (or why the server is unreachable) is cut here; the detail below gives it whole.
INCIDENT_WIDTH = 34
STATE_STYLE = {
    "connecting": "dim",
    "settling": "yellow",
    "watching": "green",
    "incident": "bold red",
    "unreachable": "bold magenta",
    "stopped": "dim",
}
# Short names of the metrics the watcher keeps trends of, for the column heads and the detail.
SPARK_LABELS = {
    "pg_stat_database.xact_commit:rate": "commits/s",
    "pg_stat_activity.active": "active",
    "pg_locks.blocked_sessions": "blocked",
    "Questions:rate": "queries/s",
    "Threads_running": "running",
    "Innodb_row_lock_current_waits": "lock waits",
}


class FleetView(Protocol):
    """What the screen reads: the servers' statuses, and the clock their ages are measured on."""

    def statuses(self) -> list[ServerStatus]: ...

    def now(self) -> float: ...


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """The last ``width`` values as bars scaled between their own minimum and maximum."""
    shown = list(values)[-width:]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    if high <= low:
        return BARS[0] * len(shown)
    top = len(BARS) - 1
    return "".join(BARS[round((v - low) / (high - low) * top)] for v in shown)


def age(status: ServerStatus, now: float) -> str:
    if status.last_sample is None:
        return "—"
    return units.duration(max(0.0, now - status.last_sample))


def incident_cell(status: ServerStatus) -> Text:
    if status.incident is None:
        return Text(status.message if status.state == "unreachable" else "", style="magenta")
    if status.top is None:
        return Text("diagnosing…" if status.certainty is None else "no rule explains it", style="yellow")
    return Text(f"{status.certainty or 0:.2f} {status.top}", style="bold")


def trends(status: ServerStatus) -> Text:
    return Text("  ".join(sparkline(v) for v in status.sparks.values()), style="cyan")


def row_words(status: ServerStatus) -> tuple[str, ...]:
    return (status.name, status.state, status.top or "", status.incident or "", *status.tags)


class FleetScreen(SleuthScreen):
    AUTO_FOCUS = "#fleet-table"
    DEFAULT_CSS = """
    #fleet-summary { padding: 0 1; height: auto; max-height: 3; }
    #fleet-table { height: 1fr; }
    #fleet-detail { padding: 0 1; height: auto; max-height: 6; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="sleuth.fleet.filter"),
    ]

    def __init__(self) -> None:
        super().__init__(id="fleet")
        self.shown: list[ServerStatus] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="fleet-summary")
        yield FilterInput("servers: name, state, cause or tag", id="fleet-filter", list_id="fleet-table")
        yield OpenTable(id="fleet-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="fleet-detail")

    def on_mount(self) -> None:
        table = self.query_one("#fleet-table", DataTable)
        table.add_column("Server", key="name")
        table.add_column("State", key="state", width=11)
        table.add_column("Age", key="age", width=6)
        table.add_column("Open incident", key="incident", width=INCIDENT_WIDTH)
        table.add_column("Trends", key="trends")
        self.sub_title = "watching" if self._view() is not None else "no fleet"
        self.refresh_fleet()
        self.set_interval(POLL_SECONDS, self.refresh_fleet, name="fleet-poll")

    def _view(self) -> FleetView | None:
        view: FleetView | None = getattr(self.app, "fleet", None)
        return view

    def refresh_fleet(self) -> None:
        view = self._view()
        statuses = view.statuses() if view is not None else []
        now = view.now() if view is not None else time.time()
        query = self.query_one("#fleet-filter", FilterInput).value
        table = self.query_one("#fleet-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        self.shown = [s for s in statuses if matches(query, row_words(s))]
        for status in self.shown:
            table.add_row(
                status.name,
                Text(status.state, style=STATE_STYLE.get(status.state, "")),
                age(status, now),
                incident_cell(status),
                trends(status),
                key=status.name,
            )
        if self.shown:
            table.move_cursor(row=min(max(cursor, 0), len(self.shown) - 1))
        self._summarise(statuses, query)
        self._describe(now)

    def _summarise(self, statuses: list[ServerStatus], query: str) -> None:
        if self._view() is None:
            self.query_one("#fleet-summary", Static).update(
                Text("no fleet is watched: start with `sleuth tui --fleet FLEET.yaml`", style="yellow")
            )
            return
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status.state] = counts.get(status.state, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        text = Text(f"{len(statuses)} servers: {parts or 'none'}")
        if query:
            text.append(f" · {len(self.shown)} match “{query}”", style="cyan")
        self.query_one("#fleet-summary", Static).update(text)

    def selected(self) -> ServerStatus | None:
        table = self.query_one("#fleet-table", DataTable)
        if not self.shown or table.cursor_row < 0:
            return None
        return self.shown[min(table.cursor_row, len(self.shown) - 1)]

    def _describe(self, now: float) -> None:
        status = self.selected()
        detail = self.query_one("#fleet-detail", Static)
        if status is None:
            detail.update("")
            return
        text = Text()
        text.append(status.name, style="bold")
        if status.tags:
            text.append(f"  [{', '.join(status.tags)}]", style="dim")
        text.append(f"  {status.engine} · {status.samples} samples · last {age(status, now)} ago")
        if status.incident is not None:
            since = units.time_of_day(status.onset) if status.onset is not None else "?"
            text.append(f"\nincident {status.incident} since {since}", style="bold red")
            if status.top is not None:
                text.append(f": {status.top} ({status.certainty or 0:.2f})")
        elif status.message:
            text.append(f"\n{status.message}", style="magenta")
        for name, values in status.sparks.items():
            label = SPARK_LABELS.get(name, name)
            last = units.number(values[-1]) if values else ""
            text.append(f"\n{label:>10} {last:>7} ")
            text.append(sparkline(values, 40), style="cyan")
        detail.update(text)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        view = self._view()
        self._describe(view.now() if view is not None else time.time())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        status = self.selected()
        if status is None or status.path is None:
            if status is not None:
                self.report(f"{status.name}: no incident yet", title="Fleet")
            return
        path = Path(status.path)
        if not path.is_file():
            self.report(f"{path}: not written yet", title="Fleet")
            return
        from tui.app.screens.incident import IncidentScreen

        self.app.push_screen(IncidentScreen(IncidentRef(path, path.name, path.stat().st_mtime)))

    def on_input_changed(self, event: FilterInput.Changed) -> None:
        event.stop()
        self.refresh_fleet()

    def action_filter(self) -> None:
        self.query_one("#fleet-filter", FilterInput).open()
