"""One incident: its metrics and signals, its diagnosis, the planner, and the DBA's verdicts.

Everything that touches the core runs in thread workers; results come back
through ``call_from_thread`` so the screen keeps answering keys while the
rule engine or the model works. Each tab has its own key (``m``, ``d``,
``p``) and switching moves the focus into the tab, so the keys keep working
whatever had the focus before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane, Tabs
from textual.worker import get_current_worker

from sleuth import IncidentRef
from tui.app.chart_order import order_series
from tui.app.export import ExportFormat, export_diagnosis, reports_dir
from tui.app.filtering import matches
from tui.app.investigation import PLANNING, ScreenObserver, StepUpdate
from tui.app.screens.base import SleuthScreen
from tui.app.screens.cause_picker import CausePicker
from tui.app.screens.export_dialog import ExportDialog
from tui.app.screens.verdict import VerdictDialog
from tui.app.state import IncidentStatus, app_state, diagnose_ref, one_line
from tui.app.widgets.diagnosis_view import DiagnosisView
from tui.app.widgets.filter_input import FilterInput
from tui.app.widgets.metric_chart import MetricChart
from tui.app.widgets.planner_view import PlannerView
from tui.app.widgets.tables import DetailTable

if TYPE_CHECKING:
    from models import Diagnosis, Fact, Incident, MetricSeries, Plan, TimeWindow, WhyNot
    from sleuth import RulesState
    from sleuth.history import HistoryEntry, VerdictKind
    from sleuth.render import Units

TAB_FOCUS = {"metrics": "#charts", "diagnosis": "#causes", "planner": "#plan-steps"}


def signal_cells(fact: Fact, units: Units | None = None) -> tuple[str, ...]:
    from sleuth.render import signal_row

    row = signal_row(fact, units or {})
    return (row.metric, row.shape, row.baseline, row.anomaly, row.change, row.score, row.confidence)


def title_text(status: IncidentStatus) -> Text:
    """What the incident is, where it ran and when: the line a DBA reads first (or why it cannot be read)."""
    if status.incident is None or status.status == "error":
        return Text.assemble((f"{status.ref.name}: ", "bold"), (status.error or "not loaded", "bold red"))
    from sleuth.render import window_phrase

    incident = status.incident
    inst = incident.instance
    window = incident.window or (status.diagnosis.window if status.diagnosis else None)
    inferred = incident.window is None and window is not None
    where = " ".join(p for p in (inst.engine, inst.version or "", inst.instance_class or "") if p)
    return Text.assemble(
        (incident.title or incident.id, "bold"), f"  {where}  ", (window_phrase(window, inferred), "cyan")
    )


def verdicts_of(entry: HistoryEntry | None) -> dict[str, tuple[VerdictKind, str]]:
    return {v.cause: (v.verdict, v.note) for v in entry.verdicts} if entry is not None else {}


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

    def on_phase(self, phase: str) -> None:
        self.screen.from_thread(lambda: self.screen.planner.set_status(phase))


class IncidentScreen(SleuthScreen):
    AUTO_FOCUS = "#charts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="sleuth.incident.back"),
        Binding("m", "tab('metrics')", "Metrics", id="sleuth.incident.metrics"),
        Binding("d", "tab('diagnosis')", "Diagnosis", id="sleuth.incident.diagnosis"),
        Binding("p", "tab('planner')", "Planner", id="sleuth.incident.planner"),
        Binding("s", "investigate", "Start planner", id="sleuth.incident.investigate"),
        Binding("c", "cancel_investigation", "Cancel planner", id="sleuth.incident.cancel"),
        Binding("w", "why_not", "Why not…", id="sleuth.incident.why_not"),
        Binding("y", "verdict('confirmed')", "Confirm cause", id="sleuth.incident.confirm"),
        Binding("n", "verdict('rejected')", "Reject cause", id="sleuth.incident.reject"),
        Binding("x", "export", "Export", id="sleuth.incident.export"),
        Binding("slash", "filter", "Filter metrics", id="sleuth.incident.filter"),
    ]

    def __init__(self, ref: IncidentRef) -> None:
        super().__init__(classes="incident-screen")
        self.ref = ref
        self.status: IncidentStatus | None = None
        self.incident: Incident | None = None
        self.diagnosis: Diagnosis | None = None
        self.investigation: threading.Event | None = None
        self.history_entry: HistoryEntry | None = None
        self.charts: list[MetricChart] = []
        self.canonical: dict[str, str | None] = {}
        self.units: Units = {}
        self.shown_signals: list[Fact] = []

    def compose_body(self) -> ComposeResult:
        yield Static(Text(f"{self.ref.name}: loading…", style="dim"), id="incident-title")
        with TabbedContent(initial="metrics", id="incident-tabs"):
            with TabPane("Metrics (m)", id="metrics"):
                yield FilterInput("metrics by name", id="metrics-filter", list_id="charts")
                yield VerticalScroll(id="charts")
                signals = DetailTable(id="signals", cursor_type="row")
                signals.border_title = "Signals (enter: in full)"
                yield signals
            with TabPane("Diagnosis (d)", id="diagnosis"):
                yield DiagnosisView()
            with TabPane("Planner (p)", id="planner"):
                yield PlannerView()

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
        # The tab strip needs no focus stop: m, d and p switch tabs, and Tab moves between the tab's widgets.
        self.query_one("#incident-tabs", TabbedContent).query_one(Tabs).can_focus = False
        signals = self.query_one("#signals", DataTable)
        from sleuth.render import SIGNAL_HEADERS  # the core's models load after the first paint

        for column in SIGNAL_HEADERS:
            signals.add_column(column)
        self.watch(self.app, "rules_state", self._rules_changed, init=False)
        cached = app_state(self).fresh(self.ref)
        if cached is not None:
            self.show_status(cached)
        else:
            self._load()

    def _rules_changed(self, _state: RulesState | None) -> None:
        """New rules: a diagnosis they did not make is redone, unless the planner is busy or decided it."""
        state = app_state(self)
        if self.status is None or self.investigation is not None or not state.stale(self.status):
            return
        self._load()

    @work(thread=True, exclusive=True, group="incident-load")
    def _load(self) -> None:
        state = app_state(self)
        status = diagnose_ref(state.services, self.ref)
        if not get_current_worker().is_cancelled:
            self.from_thread(lambda: self.show_status(state.settle(status)))

    def show_status(self, status: IncidentStatus) -> None:
        self.status = status
        self.query_one("#incident-title", Static).update(title_text(status))
        self.incident = status.incident  # its charts are worth seeing even when it cannot be diagnosed
        self.diagnosis = status.diagnosis
        self.refresh_bindings()
        if self.incident is None or not self.incident.metrics:
            why = "the file is not an incident" if self.incident is None else "it has no metric series"
            charts = self.query_one("#charts", VerticalScroll)
            charts.remove_children()
            charts.mount(Static(Text(f"Nothing to chart: {why}. The reason is above.", style="dim")))
            return
        self._present(self.incident, status.diagnosis)
        self._load_verdicts()

    @work(thread=True, exclusive=True, group="present")
    def _present(self, incident: Incident, diagnosis: Diagnosis | None) -> None:
        """Charts in order of what moved, and every number in its unit: both need the knowledge graph."""
        from sleuth.render import metric_units

        services = app_state(self).services
        try:
            canonical = services.canonical_metrics([m.name for m in incident.metrics])
            units = metric_units(services, [diagnosis]) if diagnosis is not None else {}
        except Exception:
            canonical, units = {}, {}  # without the graph: file order and plain numbers, not nothing
        signals = diagnosis.signals if diagnosis is not None else []
        ordered = order_series(incident.metrics, canonical, signals)
        window = incident.window or (diagnosis.window if diagnosis is not None else None)
        self.from_thread(lambda: self._show(ordered, window, diagnosis, units, canonical))

    def _show(
        self,
        ordered: list[tuple[MetricSeries, Fact | None]],
        window: TimeWindow | None,
        diagnosis: Diagnosis | None,
        units: Units,
        canonical: dict[str, str | None],
    ) -> None:
        charts = self.query_one("#charts", VerticalScroll)
        charts.remove_children()
        self.charts = [
            MetricChart(series, window, signal, units.get(signal.name, "") if signal else "")
            for series, signal in ordered
        ]
        for chart in self.charts:
            chart.display = self._chart_shown(chart, canonical)
        charts.mount_all(self.charts)
        self.canonical = canonical
        if diagnosis is None:
            return
        self.units = units
        self._fill_signals()
        self.diagnosis_view.show(diagnosis, units)

    def _fill_signals(self) -> None:
        """The signals the metrics filter keeps (a signal is named by the graph's metric id)."""
        query = self.query_one("#metrics-filter", FilterInput).value
        facts = self.diagnosis.signals if self.diagnosis is not None else []
        self.shown_signals = [f for f in facts if matches(query, (f.name,))]
        signals = self.query_one("#signals", DataTable)
        signals.clear()
        for fact in self.shown_signals:
            signals.add_row(*signal_cells(fact, self.units))

    def _chart_shown(self, chart: MetricChart, canonical: dict[str, str | None]) -> bool:
        query = self.query_one("#metrics-filter", FilterInput).value
        return matches(query, (chart.series.name, canonical.get(chart.series.name) or ""))

    def on_input_changed(self, event: FilterInput.Changed) -> None:
        if event.input.id != "metrics-filter":
            return
        for chart in self.charts:
            chart.display = self._chart_shown(chart, self.canonical)
        self._fill_signals()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """``enter`` on a signal: everything the signal says, in full."""
        if event.data_table.id != "signals":
            return
        event.stop()
        if 0 <= event.cursor_row < len(self.shown_signals):
            from tui.app.screens.detail import DetailScreen

            fact = self.shown_signals[event.cursor_row]
            from sleuth.render.parts import values_text

            body = Text.assemble((fact.text or fact.name, "bold"), "\n\n", values_text(fact.attrs, skip=()))
            self.app.push_screen(DetailScreen(f"Signal {fact.name}", body))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The key hints must not offer dead keys: cancel shows only while an investigation runs,
        and the rest are dimmed until there is an incident (or a cause) to act on."""
        if action == "cancel_investigation":
            return self.investigation is not None
        diagnosable = self.incident is not None and bool(self.incident.metrics)
        if action == "investigate":
            return True if diagnosable and self.investigation is None else None
        if action == "why_not":
            return True if diagnosable else None
        if action == "export":
            return True if self.diagnosis is not None else None
        if action == "verdict":
            return True if self.diagnosis is not None and self.diagnosis.causes else None
        if action == "filter":
            return True if self.active_tab == "metrics" else None
        return True

    @property
    def active_tab(self) -> str:
        return self.query_one("#incident-tabs", TabbedContent).active

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        """Switch, then focus the tab's main widget: a focused widget left in a hidden tab would
        pull the tabs back to it."""
        self.set_focus(None)
        self.query_one("#incident-tabs", TabbedContent).active = tab
        self.call_after_refresh(self.query_one(TAB_FOCUS[tab]).focus)
        self.refresh_bindings()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()

    def action_filter(self) -> None:
        self.query_one("#metrics-filter", FilterInput).open()

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
            causes = [(c.id, c.title) for c in app_state(self).services.kg_causes() if c.id not in concluded]
        except Exception as exc:
            message = one_line(exc)
            self.from_thread(lambda: self.report(message, "WHY NOT"))
            return
        causes.sort()
        self.from_thread(lambda: self.app.push_screen(CausePicker(causes), self._why_not_chosen))

    def _why_not_chosen(self, cause: str | None) -> None:
        if cause is not None and self.incident is not None:
            self._why_not(self.incident, cause)

    @work(thread=True, exclusive=True, group="why-not")
    def _why_not(self, incident: Incident, cause: str) -> None:
        try:
            why = app_state(self).services.why_not(incident, cause)
        except Exception as exc:
            message = one_line(exc)
            self.from_thread(lambda: self.report(message, "WHY NOT"))
            return
        self.from_thread(lambda: self.diagnosis_view.show_why_not(why))

    # Verdicts ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="verdicts")
    def _load_verdicts(self) -> None:
        history = app_state(self).services.history
        try:
            entry = history.resolve(str(self.ref.path)) if history.available() else None
        except Exception as exc:
            message = one_line(exc)
            self.from_thread(lambda: self.report(message, "History"))
            return
        self.from_thread(lambda: self._verdicts_loaded(entry))

    def _verdicts_loaded(self, entry: HistoryEntry | None) -> None:
        self.history_entry = entry
        self.diagnosis_view.show_verdicts(verdicts_of(entry))

    def action_verdict(self, kind: VerdictKind) -> None:
        cause = self.diagnosis_view.selected
        if cause is None or self.incident is None or self.diagnosis is None:
            return
        self.action_tab("diagnosis")
        incident, diagnosis = self.incident, self.diagnosis

        def chosen(note: str | None) -> None:
            if note is not None:
                self._judge(kind, cause.cause, note, incident, diagnosis)

        self.app.push_screen(VerdictDialog(kind, cause.cause, incident.id), chosen)

    @work(thread=True, group="verdicts-write")
    def _judge(
        self, kind: VerdictKind, cause: str, note: str, incident: Incident, diagnosis: Diagnosis
    ) -> None:
        """Record what the DBA saw (once), then the verdict on it, through the service's history."""
        services = app_state(self).services
        try:
            entry = self.history_entry
            if entry is None:
                entry = services.record(diagnosis, incident, path=self.ref.path, source="tui")
            ref = f"#{entry.id}"
            judged = (
                services.confirm(ref, [cause], note)
                if kind == "confirmed"
                else services.reject(ref, cause, note)
            )
        except Exception as exc:
            message = one_line(exc)
            self.from_thread(lambda: self.report(message, "Verdict"))
            return
        self.from_thread(lambda: self._judged(judged, kind, cause))

    def _judged(self, entry: HistoryEntry, kind: VerdictKind, cause: str) -> None:
        self._verdicts_loaded(entry)
        self.notify(
            f"{kind.capitalize()} {cause} for {entry.incident_id} (history #{entry.id})", title="Verdict"
        )

    # Export ------------------------------------------------------------------

    def action_export(self) -> None:
        if self.diagnosis is None:
            return
        view = self.diagnosis_view
        diagnosis, units = self.diagnosis, dict(view.units)
        why_not: list[WhyNot] = [view.why_not] if view.why_not is not None else []
        directory = reports_dir(app_state(self).root)

        def write(fmt: ExportFormat, path: Path) -> Path:
            """The report says what this screen shows: the same units, and the WHY NOT asked here."""
            return export_diagnosis(
                diagnosis, path, fmt, units=units, why_not=why_not, make_parent=path.parent == directory
            )

        self.app.push_screen(ExportDialog(self.ref.path, directory, write), self._exported)

    def _exported(self, written: Path | None) -> None:
        if written is not None:
            self.notify(f"Saved {written.resolve()}", title="Export")

    # Planner -----------------------------------------------------------------

    def action_investigate(self) -> None:
        if self.incident is None:
            return
        self.action_tab("planner")
        if self.investigation is not None:
            self.notify("An investigation is already running; press c to cancel it.")
            return
        self.investigation = threading.Event()
        self.refresh_bindings()
        self.planner.reset(PLANNING)
        self._investigate(self.incident, self.investigation)

    @work(thread=True, group="investigation")
    def _investigate(self, incident: Incident, cancel: threading.Event) -> None:
        services = app_state(self).services
        observer = ScreenObserver(_UiListener(self))
        try:
            diagnosis = services.investigate(incident, observer, cancel)
            if not cancel.is_set() and services.settings.history.record:
                services.record(diagnosis, incident, path=self.ref.path, source="tui")
        except Exception as exc:
            message = one_line(exc)
            self.from_thread(lambda: self._investigation_failed(cancel, message))
            return
        self.from_thread(lambda: self._investigation_done(cancel, diagnosis))

    def _investigation_done(self, cancel: threading.Event, diagnosis: Diagnosis) -> None:
        self.investigation = None
        self.refresh_bindings()
        if cancel.is_set():
            self.planner.mark_unfinished("cancelled")
            self.planner.finish(diagnosis, cancelled=True)
            return
        self.planner.finish(diagnosis)
        status = app_state(self).remember(self.ref, diagnosis)
        self.diagnosis = diagnosis
        self.refresh_bindings()
        if status is not None:
            self.status = status
        if self.incident is not None:
            self._present(self.incident, diagnosis)

    def _investigation_failed(self, cancel: threading.Event, message: str) -> None:
        self.investigation = None
        self.refresh_bindings()
        self.planner.failed(message, cancelled=cancel.is_set())

    def action_cancel_investigation(self) -> None:
        if self.investigation is None:
            return
        # Cooperative: the planner checks the event between steps and tokens; a thread cannot be killed.
        self.investigation.set()
        self.planner.set_status("Cancelling… (the model stops at its next token or step)")

    def on_unmount(self) -> None:
        """Leaving the screen must not leave a model running for nobody."""
        if self.investigation is not None:
            self.investigation.set()
