"""Pick any cause from the knowledge graph, to ask WHY NOT it was concluded.

The filter has the focus, so typing narrows the list at once; ``down`` moves
into the list, ``enter`` chooses, ``escape`` gives up.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.app.filtering import matches


class CausePicker(ModalScreen[str | None]):
    AUTO_FOCUS = "#cause-filter"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="sleuth.picker.cancel"),
        Binding("down", "to_list", "Into the list", id="sleuth.picker.list"),
    ]

    def __init__(self, causes: list[tuple[str, str]]) -> None:
        """``causes``: (id, title) pairs, in the order to offer them."""
        super().__init__(classes="dialog")
        self.causes = causes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label("WHY NOT which cause? (type to filter, enter to choose)", classes="dialog-title")
            yield Input(placeholder="filter causes", id="cause-filter", compact=True)
            yield OptionList(*self._options(""), id="cause-options")

    def _options(self, query: str) -> list[Option]:
        return [
            Option(f"{title} ({cause})" if title and title != cause else cause, id=cause)
            for cause, title in self.causes
            if matches(query, (cause, title))
        ]

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one("#cause-options", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#cause-options", OptionList)
        if options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted or 0).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_to_list(self) -> None:
        self.query_one("#cause-options", OptionList).focus()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
