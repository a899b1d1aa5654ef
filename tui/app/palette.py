"""The command palette's sleuth commands: every screen and action, and every incident by name.

A provider (not only bindings) because incidents are data: "open <name>" is
how a DBA jumps to one among hundreds without scrolling.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app.app import SleuthApp


class SleuthCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = cast("SleuthApp", self.app)
        commands: list[tuple[str, Callable[[], object], str]] = [
            ("Incidents", partial(app.switch_mode, "incidents"), "the incidents under PATH"),
            ("Knowledge graph", partial(app.switch_mode, "graph"), "browse causes, symptoms, checks"),
            ("Rules", partial(app.switch_mode, "rules"), "packs, sources, lint and tests"),
            ("Batch", partial(app.switch_mode, "batch"), "diagnose a whole directory"),
            ("Reload rules", app.reload_rules, "read the rule packs again"),
            ("Lint rules", app.lint_rules, "check every rule pack"),
            ("Toggle light/dark theme", app.action_toggle_theme, "switch between light and dark"),
            ("Help", app.action_help, "keys and binding ids"),
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
