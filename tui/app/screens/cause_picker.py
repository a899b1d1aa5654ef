"""Pick any cause from the knowledge graph, to ask WHY NOT it was concluded."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList


class CausePicker(ModalScreen[str | None]):
    """Type to filter, enter to choose, escape to give up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="sleuth.picker.cancel")
    ]

    def __init__(self, causes: list[str]) -> None:
        super().__init__(classes="dialog")
        self.causes = causes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label("WHY NOT which cause?", classes="dialog-title")
            yield Input(placeholder="filter causes", id="cause-filter")
            yield OptionList(*self.causes, id="cause-options")

    def on_input_changed(self, event: Input.Changed) -> None:
        needle = event.value.strip().lower()
        options = self.query_one("#cause-options", OptionList)
        options.clear_options()
        options.add_options([c for c in self.causes if needle in c.lower()])
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one("#cause-options", OptionList)
        if options.option_count:
            index = options.highlighted or 0
            self.dismiss(str(options.get_option_at_index(index).prompt))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.prompt))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
