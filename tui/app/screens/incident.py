"""One incident: its metrics and signals, its diagnosis, and the planner when the rules fall short.

Everything that touches the core runs in thread workers; results come back
through ``call_from_thread`` so the screen keeps answering keys while the
rule engine or the model works.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, TabbedContent, TabPane
from textual.worker import get_current_worker

from tui.app.chart_order import order_series
from tui.app.export import ExportFormat, export_diagnosis
from tui.app.screens.cause_picker import CausePicker
from tui.app.screens.export_dialog import ExportDialog
from tui.app.services import IncidentRef, Investigation, StepUpdate
from tui.app.state import IncidentStatus, app_state, diagnose_ref, one_line
from tui.app.widgets.diagnosis_view import DiagnosisView
from tui.app.widgets.metric_chart import MetricChart
from tui.app.widgets.planner_view import PlannerView

if TYPE_CHECKING:
    from models import Diagnosis, Fact, Incident, MetricSeries, Plan, TimeWindow

SIGNAL_COLUMNS = ("baseline", "anomaly", "ratio", "score", "confidence")


def signal_cells(fact: Fact) -> tuple[str, ...]:
    def num(key: str) -> str:
        value = fact.attrs.get(key)
        return f"{value:.4g}" if isinstance(value, float) else ""

    return (
        fact.name,
        str(fact.attrs.get("shape", "")),
        str(fact.attrs.get("direction", "")),
        *(num(k) for k in SIGNAL_COLUMNS),
    )


class _UiListener:
    """Forwards planner callbacks from the worker thread to the widgets, in order."""

    def __init__(self, screen: IncidentScreen) -> None:
        self.screen = screen

    def on_plan(self, plan: Plan) -> None:
        self.screen.from_thread(lambda: self.screen.planner.show_plan(plan))

    def on_step(self, update: StepUpdate) -> None:
        self.screen.from_thread(lambda: self.screen.planner.update_step(update))

    def on_text(self, chunk: str) -> None:
        self.screen.from_thread(lambda: self.screen.planner.append_text(chunk))


class IncidentScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="sleuth.incident.back"),
        Binding("m", "tab('metrics')", "Metrics", show=False, id="sleuth.incident.metrics"),
        Binding("d", "tab('diagnosis')", "Diagnosis", show=False, id="sleuth.incident.diagnosis"),
        Binding("w", "why_not", "Why not…", id="sleuth.incident.why_not"),
        Binding("x", "export", "Export", id="sleuth.incident.export"),
        Binding("p", "investigate", "Planner", id="sleuth.incident.investigate"),
        Binding("c", "cancel_investigation", "Cancel", id="sleuth.incident.cancel"),
    ]

    def __init__(self, ref: IncidentRef) -> None:
        super().__init__(classes="incident-screen")
        self.ref = ref
        self.incident: Incident | None = None
        self.diagnosis: Diagnosis | None = None
        self.investigation: Investigation | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(f"{self.ref.name}: loading…", id="incident-title")
        with TabbedContent(initial="metrics", id="incident-tabs"):
            with TabPane("Metrics", id="metrics"):
                yield VerticalScroll(id="charts")
                signals: DataTable[str] = DataTable(id="signals", cursor_type="row")
                signals.border_title = "Signals"
                yield signals
            with TabPane("Diagnosis", id="diagnosis"):
                yield DiagnosisView()
            with TabPane("Planner", id="planner"):
                yield PlannerView()
        yield Footer()

    def from_thread(self, update: Callable[[], object]) -> None:
        """Run a widget update from a worker, unless the user has left this screen meanwhile.

        The check runs on the event loop, where unmounting happens, so a result
        that lands after ``escape`` is dropped instead of failing in the worker.
        """

        def guarded() -> None:
            if self.is_attached:
                update()

        self.app.call_from_thread(guarded)

    @property
    def planner(self) -> PlannerView:
        return self.query_one(PlannerView)

    @property
    def diagnosis_view(self) -> DiagnosisView:
        return self.query_one(DiagnosisView)

    def on_mount(self) -> None:
        self.sub_title = self.ref.name
        signals = self.query_one("#signals", DataTable)
        for column in ("Metric", "Shape", "Dir", *(c.capitalize() for c in SIGNAL_COLUMNS)):
            signals.add_column(column)
        cached = app_state(self).fresh(self.ref)
        if cached is not None:
            self.show_status(cached)
        else:
            self._load()

    @work(thread=True, exclusive=True, group="incident-load")
    def _load(self) -> None:
        state = app_state(self)
        status = diagnose_ref(state.services, self.ref, state.rules_epoch)
        if not get_current_worker().is_cancelled:
            self.from_thread(lambda: self.show_status(status))

    def show_status(self, status: IncidentStatus) -> None:
        app_state(self).statuses[self.ref.path] = status
        title = self.query_one("#incident-title", Label)
        if status.incident is None:
            title.update(Text(f"{self.ref.name}: {status.error}", style="red"))
            return
        self.incident = status.incident
        self.refresh_bindings()
        inst = status.incident.instance
        window = status.incident.window or (status.diagnosis.window if status.diagnosis else None)
        where = f"window {window.start:g}–{window.end:g}" if window else "no anomaly window"
        title.update(
            Text.assemble(
                (status.incident.title or status.incident.id, "bold"),
                f"  {inst.engine} {inst.version or ''}  {inst.instance_class or ''}  {where}",
            )
        )
        signals = status.diagnosis.signals if status.diagnosis else []
        self._order_charts(status.incident, window, signals)
        if status.diagnosis is not None:
            self.show_diagnosis(status.diagnosis)
        elif status.error:
            self.diagnosis_view.query_one("#cause-title", Label).update(Text(status.error, style="red"))

    @work(thread=True, exclusive=True, group="charts")
    def _order_charts(self, incident: Incident, window: TimeWindow | None, signals: list[Fact]) -> None:
        names = [m.name for m in incident.metrics]
        try:
            canonical = app_state(self).services.canonical_metrics(names)
        except Exception:
            canonical = {}  # without the alias table, draw in file order rather than not at all
        ordered = order_series(incident.metrics, canonical, signals)
        self.from_thread(lambda: self._mount_charts(ordered, window))

    def _mount_charts(
        self, ordered: list[tuple[MetricSeries, Fact | None]], window: TimeWindow | None
    ) -> None:
        charts = self.query_one("#charts", VerticalScroll)
        charts.remove_children()
        charts.mount_all(MetricChart(series, window, signal) for series, signal in ordered)

    def show_diagnosis(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        self.refresh_bindings()
        signals = self.query_one("#signals", DataTable)
        signals.clear()
        for fact in diagnosis.signals:
            signals.add_row(*signal_cells(fact))
        self.diagnosis_view.show(diagnosis)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer must not offer dead keys: cancel shows only while an investigation runs,
        and the rest are dimmed until there is an incident (or a diagnosis) to act on."""
        if action == "cancel_investigation":
            return self.investigation is not None
        if action in ("why_not", "investigate"):
            return True if self.incident is not None else None
        if action == "export":
            return True if self.diagnosis is not None else None
        return True

    def action_tab(self, tab: str) -> None:
        self.query_one("#incident-tabs", TabbedContent).active = tab

    # WHY NOT -----------------------------------------------------------------

    def action_why_not(self) -> None:
        if self.incident is None:
            return
        self.action_tab("diagnosis")
        concluded = {c.cause for c in self.diagnosis.causes} if self.diagnosis else set()
        self._pick_cause(concluded)

    @work(thread=True, exclusive=True, group="why-not")
    def _pick_cause(self, concluded: set[str]) -> None:
        try:
            causes = [c for c in app_state(self).services.cause_ids() if c not in concluded]
        except Exception as exc:
            self.app.call_from_thread(self.notify, one_line(exc), severity="error")
            return
        self.from_thread(lambda: self.app.push_screen(CausePicker(causes), self._why_not_chosen))

    def _why_not_chosen(self, cause: str | None) -> None:
        if cause is not None and self.incident is not None:
            self._why_not(self.incident, cause)

    @work(thread=True, exclusive=True, group="why-not")
    def _why_not(self, incident: Incident, cause: str) -> None:
        try:
            why = app_state(self).services.why_not(incident, cause)
        except Exception as exc:
            self.app.call_from_thread(self.notify, one_line(exc), severity="error", title="WHY NOT")
            return
        self.from_thread(lambda: self.diagnosis_view.show_why_not(why))

    # Export ------------------------------------------------------------------

    def action_export(self) -> None:
        if self.diagnosis is None:
            return
        self.app.push_screen(ExportDialog(self.ref.path), self._export_chosen)

    def _export_chosen(self, choice: tuple[ExportFormat, Path] | None) -> None:
        if choice is not None and self.diagnosis is not None:
            self._export(self.diagnosis, *choice)

    @work(thread=True, group="export")
    def _export(self, diagnosis: Diagnosis, fmt: ExportFormat, path: Path) -> None:
        try:
            written = export_diagnosis(diagnosis, path, fmt)
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"{path}: {exc.strerror}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Saved {written}", title="Export")

    # Planner -----------------------------------------------------------------

    def action_investigate(self) -> None:
        if self.incident is None:
            return
        self.action_tab("planner")
        if self.investigation is not None:
            self.notify("An investigation is already running; press c to cancel it.")
            return
        self.investigation = Investigation()
        self.refresh_bindings()
        self.planner.reset()
        self._investigate(self.incident, self.investigation)

    @work(thread=True, group="investigation")
    def _investigate(self, incident: Incident, investigation: Investigation) -> None:
        listener = _UiListener(self)
        try:
            diagnosis = app_state(self).services.investigate(incident, listener, investigation)
        except Exception as exc:
            message = one_line(exc)
            self.from_thread(lambda: self._investigation_failed(investigation, message))
            return
        self.from_thread(lambda: self._investigation_done(investigation, diagnosis))

    def _investigation_done(self, investigation: Investigation, diagnosis: Diagnosis) -> None:
        self.investigation = None
        self.refresh_bindings()
        if investigation.cancel.is_set():
            self.planner.mark_unfinished("cancelled")
            self.planner.set_status("Cancelled.")
            return
        self.planner.finish(diagnosis)
        for error in diagnosis.errors:  # the planner degrades instead of failing; say where it did
            self.planner.append_text(f"! {error}\n")
        if diagnosis.causes:
            self.show_diagnosis(diagnosis)

    def _investigation_failed(self, investigation: Investigation, message: str) -> None:
        self.investigation = None
        self.refresh_bindings()
        cancelled = investigation.cancel.is_set()
        self.planner.mark_unfinished("cancelled" if cancelled else "failed")
        self.planner.set_status("Cancelled." if cancelled else Text(f"Failed: {message}", style="red"))

    def action_cancel_investigation(self) -> None:
        if self.investigation is None:
            return
        # Cooperative: the planner checks the event between steps and tokens; a thread cannot be killed.
        self.investigation.cancel.set()
        self.planner.set_status("Cancelling…")

    def on_unmount(self) -> None:
        """Leaving the screen must not leave a model running for nobody."""
        if self.investigation is not None:
            self.investigation.cancel.set()
