"""Keys and flows, generated from the live bindings so a remapped key shows as remapped."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

INTRO = """\
# sleuth

**Incidents** (*i*) lists what is under PATH; *enter* opens one. Its tabs: **Metrics** (*m*),
charts with the anomaly window marked `▔` under a time axis, and the signals; **Diagnosis**
(*d*), the causes with evidence, HOW chain, blamed statements and tables, remediations (SQL is
shown, never run), similar past incidents; **Planner** (*p*), *s* starts an investigation and
*c* cancels it. *w* asks WHY NOT another cause, *x* exports, *y* / *n* confirm or reject the
selected cause.

**Graph** (*g*) browses the knowledge graph (vendor metric names work in the filter);
**Rules** (*r*) shows the packs, a rule's source, lint (*l*) and its tests (*t*), and reloads
when a file is saved; **Batch** (*b*) diagnoses a directory.

*/* filters a list, *enter* on a row shows what a column had to cut, *escape* goes back.
The status line at the bottom shows the rule book in force and the last error.
*ctrl+p* opens the command palette. Keys are remapped in `~/.config/sleuth/config.toml`
(or `--config FILE`) by binding id:

```toml
[keymap]
"sleuth.quit" = "ctrl+q"
```
"""


def bindings_table(rows: list[tuple[str, str, str]]) -> str:
    """Markdown table of key, action and binding id (the id is what the keymap file names)."""
    lines = ["| Key | Action | Binding id |", "|---|---|---|"]
    for key, description, binding_id in rows:
        lines.append(f"| `{key}` | {description} | `{binding_id}` |")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "Close", id="sleuth.help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__(classes="dialog")
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-body help-body", id="help-scroll"):
            yield Markdown(INTRO + "\n## Keys here\n\n" + bindings_table(self.rows), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).focus()
