"""``SleuthApp``: modes for the places a DBA works, global keys, the rule book, palette, themes, keymap.

Modes (not a single screen with tabs) so each place keeps its own state and
screen stack: an incident opened from a batch result is still open after a
detour through the rules to fix the rule that misfired.

The rule files are watched here, not by the rules screen: a reload must
reach every screen (the list re-diagnoses what older rules decided, the
status line shows the new generation or why the files are broken) whether
or not the rules screen was ever opened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from sleuth import IncidentRef, RulesState, Sleuth
from tui.app.palette import SleuthCommands
from tui.app.screens.batch import BatchScreen
from tui.app.screens.fleet import FleetScreen, FleetView
from tui.app.screens.graph import GraphScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.incidents import IncidentsScreen
from tui.app.screens.rules import RulesScreen
from tui.app.state import AppState, one_line

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

DARK, LIGHT = "textual-dark", "textual-light"
RULES_POLL_SECONDS = 1.0


def mtimes(paths: list[Path]) -> dict[Path, float]:
    """What the rules poll compares; a deleted file counts as a change too."""
    found: dict[Path, float] = {}
    for path in paths:
        try:
            found[path] = path.stat().st_mtime_ns / 1e9
        except OSError:
            found[path] = -1.0
    return found


class SleuthApp(App[None]):
    TITLE = "sleuth"
    CSS_PATH = "sleuth.tcss"
    COMMANDS = App.COMMANDS | {SleuthCommands}
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "incidents": IncidentsScreen,
        "graph": GraphScreen,
        "rules": RulesScreen,
        "batch": BatchScreen,
        "fleet": FleetScreen,
    }
    DEFAULT_MODE = "incidents"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "incidents", "Incidents", id="sleuth.incidents"),
        Binding("g", "switch_mode('graph')", "Graph", id="sleuth.graph"),
        Binding("r", "switch_mode('rules')", "Rules", id="sleuth.rules"),
        Binding("b", "switch_mode('batch')", "Batch", id="sleuth.batch"),
        Binding("f", "switch_mode('fleet')", "Fleet", id="sleuth.fleet"),
        Binding("question_mark", "help", "Help", id="sleuth.help"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="sleuth.theme"),
        Binding("q", "quit", "Quit", id="sleuth.quit"),
    ]

    rules_state: reactive[RulesState | None] = reactive(None, always_update=True)
    """The rule book in force and the errors of the last reload; ``None`` until first loaded."""
    problem: reactive[str] = reactive("")
    """The last error, with its time, kept on the status line until another replaces it."""

    def __init__(
        self,
        services: Sleuth,
        root: Path,
        *,
        keymap: dict[str, str] | None = None,
        theme: str = DARK,
        fleet: FleetView | None = None,
    ) -> None:
        super().__init__()
        self.fleet = fleet
        self.state = AppState(services=services, root=root)
        self.first_paint: float | None = None
        self.user_keymap = dict(keymap or {})
        self.theme = theme
        self._rule_mtimes: dict[Path, float] = {}

    def on_ready(self) -> None:
        """Textual posts ``Ready`` right after writing the first frame: the time-to-first-paint mark."""
        self.first_paint = time.perf_counter()
        # After the frame: loading the rules imports the core, which holds the GIL for a while.
        self.call_after_refresh(self._load_rules, reload=False)
        self.set_interval(RULES_POLL_SECONDS, self._poll_rules, name="rules-poll")

    def on_mount(self) -> None:
        if self.fleet is not None:
            self.switch_mode("fleet")
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
            unknown = sorted(set(self.user_keymap) - known_binding_ids())  # most likely typos
            if unknown:
                self.report(f"keymap: no binding with id {', '.join(unknown)}", severity="warning")

    def report(self, message: str, *, severity: SeverityLevel = "error", title: str = "") -> None:
        """A toast, and for errors and warnings the status line too, so a missed toast is not lost."""
        self.notify(message, severity=severity, title=title)
        if severity != "information":
            self.problem = f"{time.strftime('%H:%M:%S')} {title + ': ' if title else ''}{message}"

    # -- the rule book --------------------------------------------------------------------------------

    def reload_rules(self) -> None:
        self._load_rules(reload=True)

    @work(thread=True, exclusive=True, group="rules-load")
    def _load_rules(self, *, reload: bool) -> None:
        rules = self.state.services.rules
        try:
            stamp = mtimes(rules.files())
            state = rules.reload() if reload else rules.state()
        except Exception as exc:
            self.call_from_thread(self.report, one_line(exc), title="Rules")
            return
        self.call_from_thread(self._rules_loaded, state, stamp)

    @work(thread=True, exclusive=True, group="rules-poll")
    def _poll_rules(self) -> None:
        if not self._rule_mtimes:
            return  # not loaded yet: the first load takes the stamp
        try:
            stamp = mtimes(self.state.services.rules.files())
        except Exception:
            return  # the status line already says why the rules are unavailable
        if stamp != self._rule_mtimes:
            self.call_from_thread(self._rules_changed_on_disk, stamp)

    def _rules_changed_on_disk(self, stamp: dict[Path, float]) -> None:
        self._rule_mtimes = stamp  # one reload per edit, even while the reload runs
        self.reload_rules()

    def _rules_loaded(self, state: RulesState, stamp: dict[Path, float]) -> None:
        before = self.rules_state
        self._rule_mtimes = stamp
        if state.errors and (before is None or state.errors != before.errors):
            # The status line shows rule errors for as long as they last: a toast is enough here.
            title = "Rule reload failed" if state.generation else "No rules in force"
            self.notify(state.errors[0], title=title, severity="error")
        elif before is not None and state.generation > before.generation:
            self.notify(
                f"Reloaded {state.rule_count} rules (gen {state.generation}); incidents are diagnosed again.",
                title="Rules",
            )
        self.state.generation = max(self.state.generation, state.generation)
        self.rules_state = state

    # -- global actions -------------------------------------------------------------------------------

    def action_incidents(self) -> None:
        """The list itself, not the incident last opened from it: ``i`` always means the same place."""
        self.switch_mode("incidents")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, IncidentsScreen):
            self.pop_screen()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def action_help(self) -> None:
        from tui.app.screens.help import HelpScreen  # Markdown (markdown-it) is slow to import; load on use

        if isinstance(self.screen, HelpScreen):
            return
        rows: list[tuple[str, str, str]] = []
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.description and binding.id:
                rows.append((self.get_key_display(binding) or key, binding.description, binding.id))
        self.push_screen(HelpScreen(sorted(set(rows), key=lambda r: r[2])))

    # -- what the palette offers ----------------------------------------------------------------------

    def incident_refs(self) -> list[IncidentRef]:
        return [status.ref for status in self.state.statuses.values()]

    def open_incident(self, ref: IncidentRef) -> None:
        self.action_incidents()
        self.push_screen(IncidentScreen(ref))

    def lint_rules(self) -> None:
        self.switch_mode("rules")
        self.call_after_refresh(self._lint_on_rules_screen)

    def _lint_on_rules_screen(self) -> None:
        if isinstance(self.screen, RulesScreen):
            self.screen.action_lint()


def known_binding_ids() -> set[str]:
    """Every binding id a keymap may name, across the app, its screens and its widgets."""
    from tui.app.screens.cause_picker import CausePicker
    from tui.app.screens.detail import DetailScreen
    from tui.app.screens.export_dialog import ExportDialog
    from tui.app.screens.help import HelpScreen
    from tui.app.screens.verdict import VerdictDialog
    from tui.app.widgets.filter_input import FilterInput
    from tui.app.widgets.planner_view import ModelLog
    from tui.app.widgets.tables import DetailTable, OpenTable

    ids: set[str] = set()
    owners: list[type[object]] = [
        SleuthApp,
        IncidentsScreen,
        IncidentScreen,
        GraphScreen,
        RulesScreen,
        BatchScreen,
        FleetScreen,
        HelpScreen,
        CausePicker,
        ExportDialog,
        DetailScreen,
        VerdictDialog,
        FilterInput,
        ModelLog,
        DetailTable,
        OpenTable,
    ]
    for owner in owners:
        for binding in getattr(owner, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids
