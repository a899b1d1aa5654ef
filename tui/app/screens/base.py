"""What every sleuth screen has around its body: the header, the status line and the key hints.

One base so no screen can forget the status line or show a different footer,
and so the command palette can offer each screen's own keys as commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Header

from tui.app.widgets.key_hints import KeyHints
from tui.app.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tui.app.app import SleuthApp

Command = tuple[str, Callable[[], object], str]


class SleuthScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.compose_body()
        with Vertical(id="screen-bottom"):
            yield StatusLine()
            yield KeyHints()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_suspend(self) -> None:
        """A dialog opened over this screen: the key line shows its keys (a mode switch is no dialog)."""
        self.call_after_refresh(self._follow_dialog)

    def _follow_dialog(self) -> None:
        top = self.app.screen
        if isinstance(top, ModalScreen) and self in self.app.screen_stack:
            self.query_one(KeyHints).follow(top)

    def on_screen_resume(self) -> None:
        self.query_one(KeyHints).follow(None)

    def report(self, message: str, title: str) -> None:
        """An error for the toast and the status line (where it stays until the next one)."""
        cast("SleuthApp", self.app).report(message, title=title)

    def palette_commands(self) -> Iterable[Command]:
        """This screen's keys as palette commands, those that can act now; the key (as remapped) is the help."""
        seen: set[str] = set()
        for active in self.active_bindings.values():
            binding: Binding = active.binding
            if active.node is not self or not active.enabled or not binding.description:
                continue
            if binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            run = partial(self.call_later, self.run_action, binding.action)  # run_action is a coroutine
            yield binding.description.rstrip("…"), run, f"key {key}"
