"""The ``/`` filter of a list: live as you type, kept when you go back to the list.

``enter`` (or ``down``) returns to the list with the filter applied: it stays
on screen, so a filtered list never passes for the whole one. ``escape``
clears it. Either way the list takes the focus back, so the screen's
single-letter keys act again instead of typing. A collapsible filter takes
no room until ``/`` opens it, which matters on a 24-line terminal.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input, Tree


class FilterInput(Input):
    DEFAULT_CSS = """
    FilterInput, FilterInput:focus {
        height: 1;
        border: none;
        padding: 0 1;
        margin: 0 1;
        background: $boost;
    }
    FilterInput:focus {
        background: $accent 25%;
    }
    FilterInput.-collapsed {
        display: none;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="sleuth.filter.clear"),
        Binding("enter,down", "done", "To the list", id="sleuth.filter.done"),
    ]

    def __init__(self, what: str, *, id: str, list_id: str, collapsible: bool = True) -> None:
        super().__init__(placeholder=f"filter {what}", id=id, classes="-collapsed" if collapsible else "")
        self.list_id = list_id
        self.collapsible = collapsible

    def open(self) -> None:
        self.remove_class("-collapsed")
        self.focus()

    def action_clear(self) -> None:
        self.value = ""
        self.action_done()

    def action_done(self) -> None:
        if self.collapsible and not self.value:
            self.add_class("-collapsed")
        target = self.screen.query_one(f"#{self.list_id}", Widget)
        target.focus()
        if isinstance(target, Tree) and target.cursor_line < 0 and target.last_line >= 0:
            target.cursor_line = 0  # a focused tree without a cursor looks like nothing has the focus
