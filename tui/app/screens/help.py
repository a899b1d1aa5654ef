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

**Incidents** lists what is under PATH; *enter* opens one: metrics with the anomaly
window marked (`▔`), the signals, the diagnosis (evidence, HOW chain, remediations,
*w* for WHY NOT any other cause, *x* to export) and the planner (*p* start, *c* cancel).

**Graph** browses the knowledge graph; **Rules** shows the packs, a rule's source,
lint and its tests, and reloads on save; **Batch** diagnoses a directory.

*ctrl+p* opens the command palette. Keys are remapped in
`~/.config/sleuth/keymap.toml` (or `--config FILE`) by binding id:

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
        Binding("escape", "dismiss", "Close", id="sleuth.help.close"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__(classes="dialog")
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-body help-body"):
            yield Markdown(INTRO + "\n## Keys here\n\n" + bindings_table(self.rows), id="help-text")
