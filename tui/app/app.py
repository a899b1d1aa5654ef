"""``SleuthApp``: modes for the four places a DBA works, global keys, palette, themes and keymap.

Modes (not a single screen with tabs) so each place keeps its own state and
screen stack: an incident opened from the list is still open after a detour
through the rules to fix the rule that misfired.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.app.commands import SleuthCommands
from tui.app.keymap import unknown_binding_ids
from tui.app.screens.batch import BatchScreen
from tui.app.screens.graph import GraphScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.incidents import IncidentsScreen
from tui.app.screens.rules import RulesScreen
from tui.app.services import IncidentRef, Services
from tui.app.state import AppState

DARK, LIGHT = "textual-dark", "textual-light"


class SleuthApp(App[None]):
    TITLE = "sleuth"
    CSS_PATH = "sleuth.tcss"
    COMMANDS = App.COMMANDS | {SleuthCommands}
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "incidents": IncidentsScreen,
        "graph": GraphScreen,
        "rules": RulesScreen,
        "batch": BatchScreen,
    }
    DEFAULT_MODE = "incidents"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "switch_mode('incidents')", "Incidents", id="sleuth.incidents"),
        Binding("g", "switch_mode('graph')", "Graph", id="sleuth.graph"),
        Binding("r", "switch_mode('rules')", "Rules", id="sleuth.rules"),
        Binding("b", "switch_mode('batch')", "Batch", id="sleuth.batch"),
        Binding("question_mark", "help", "Help", id="sleuth.help"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="sleuth.theme"),
        Binding("q", "quit", "Quit", id="sleuth.quit"),
    ]

    def __init__(
        self,
        services: Services,
        root: Path,
        *,
        keymap: dict[str, str] | None = None,
        theme: str = DARK,
    ) -> None:
        super().__init__()
        self.state = AppState(services=services, root=root)
        self.first_paint: float | None = None
        self.user_keymap = dict(keymap or {})
        self.theme = theme

    def on_ready(self) -> None:
        """Textual posts ``Ready`` right after writing the first frame: the time-to-first-paint mark."""
        self.first_paint = time.perf_counter()

    def on_mount(self) -> None:
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
            unknown = unknown_binding_ids(self.user_keymap, known_binding_ids())
            if unknown:
                self.notify(f"keymap: no binding with id {', '.join(unknown)}", severity="warning")

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

    # Commands the palette offers --------------------------------------------

    def incident_refs(self) -> list[IncidentRef]:
        return [status.ref for status in self.state.statuses.values()]

    def open_incident(self, ref: IncidentRef) -> None:
        self.switch_mode("incidents")
        self.push_screen(IncidentScreen(ref))

    def reload_rules(self) -> None:
        self.switch_mode("rules")
        self.call_after_refresh(self._on_rules, "reload")

    def lint_rules(self) -> None:
        self.switch_mode("rules")
        self.call_after_refresh(self._on_rules, "lint")

    def _on_rules(self, action: str) -> None:
        screen = self.screen
        if not isinstance(screen, RulesScreen):
            return
        if action == "reload":
            screen.action_reload()
        else:
            screen.action_lint()


def known_binding_ids() -> set[str]:
    """Every binding id a keymap may name, across the app and all its screens."""
    from tui.app.screens.cause_picker import CausePicker
    from tui.app.screens.export_dialog import ExportDialog
    from tui.app.screens.help import HelpScreen

    ids: set[str] = set()
    owners: list[type[object]] = [
        SleuthApp,
        IncidentsScreen,
        IncidentScreen,
        GraphScreen,
        RulesScreen,
        BatchScreen,
        HelpScreen,
        CausePicker,
        ExportDialog,
    ]
    for owner in owners:
        for binding in getattr(owner, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids
