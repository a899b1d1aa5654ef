"""One line on every screen: the rule book in force (its generation) and the last thing that went wrong.

A toast fades in a few seconds and a DBA who looked away misses it; the
status line keeps the last error (with its time) until another replaces it,
and says plainly when the rule files are broken and older rules still decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from sleuth import RulesState
    from tui.app.app import SleuthApp


def rules_text(state: RulesState | None) -> Text:
    if state is None:
        return Text("rules: loading…", style="dim")
    if state.generation == 0:
        first = state.errors[0] if state.errors else "not loaded"
        return Text(f"no rules in force: {first}", style="bold red")
    text = Text(f"rules gen {state.generation}: {state.rule_count} in {len(state.packs)} packs")
    if state.errors:
        text.append(f" · rule files broken, gen {state.generation} still decides: ", style="bold red")
        text.append(state.errors[0], style="red")
    return text


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        max-height: 2;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id="status-line")

    def on_mount(self) -> None:
        self.watch(self.app, "rules_state", self._redraw, init=False)
        self.watch(self.app, "problem", self._redraw, init=False)
        self._redraw()

    def _redraw(self, _value: object = None) -> None:
        app = cast("SleuthApp", self.app)
        text = rules_text(app.rules_state)
        if app.problem:
            text.append(" · ")
            text.append(app.problem, style="bold red")
        self.update(text)
