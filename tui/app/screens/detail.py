"""The whole of something a row or a pane had to cut: wrapped, scrollable, closed with escape.

Tables keep one line per row so a DBA can compare rows; whatever does not fit
(an evidence value, a step's result, an error) is one ``enter`` away here.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class DetailScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss", "Close", id="sleuth.detail.close"),
    ]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body detail-body"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(id="detail-scroll"):
                yield Static(self.body, id="detail-text")

    def on_mount(self) -> None:
        self.query_one("#detail-scroll", VerticalScroll).focus()
