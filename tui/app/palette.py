"""The command palette's sleuth commands: every place, every key of the screen below, every incident.

A provider (not only bindings) because incidents are data: "open <name>" is
how a DBA jumps to one among hundreds without scrolling. The screen's own keys
(confirm or reject a cause, start the planner, export…) come from its bindings,
so the palette offers exactly what the key hints show, and nothing that
cannot act right now.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app.app import SleuthApp

Command = tuple[str, Callable[[], object], str]


class SleuthCommands(Provider):
    def _commands(self) -> list[Command]:
        from tui.app.screens.base import SleuthScreen

        app = cast("SleuthApp", self.app)
        commands: list[Command] = []
        if isinstance(self.screen, SleuthScreen):
            commands += list(self.screen.palette_commands())
        commands += [
            ("Incidents", app.action_incidents, "the incidents under PATH (key i)"),
            (
                "Knowledge graph",
                partial(app.switch_mode, "graph"),
                "causes, symptoms, metrics, checks (key g)",
            ),
            ("Rules", partial(app.switch_mode, "rules"), "packs, sources, lint and tests (key r)"),
            ("Batch", partial(app.switch_mode, "batch"), "diagnose a whole directory (key b)"),
            ("Reload rules", app.reload_rules, "read the rule packs again"),
            ("Lint rules", app.lint_rules, "check every rule pack"),
            ("Toggle light/dark theme", app.action_toggle_theme, "key ctrl+t"),
            ("Help", app.action_help, "keys and binding ids (key ?)"),
        ]
        for ref in app.incident_refs():
            commands.append((f"Open incident {ref.name}", partial(app.open_incident, ref), str(ref.path)))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
