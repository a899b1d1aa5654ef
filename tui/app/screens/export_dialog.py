"""Where and how to write the report: the format and a path, defaulting next to the incident."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from tui.app.export import ExportFormat, default_export_path


class ExportDialog(ModalScreen[tuple[ExportFormat, Path] | None]):
    AUTO_FOCUS = "#export-path"  # the usual edit is the path; enter saves
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="sleuth.export.cancel")
    ]

    def __init__(self, incident_path: Path) -> None:
        super().__init__(classes="dialog")
        self.incident_path = incident_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label("Export the diagnosis", classes="dialog-title")
            with RadioSet(id="export-format"):
                yield RadioButton("Markdown", value=True, id="fmt-markdown")
                yield RadioButton("JSON", id="fmt-json")
            yield Input(str(default_export_path(self.incident_path, "markdown")), id="export-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="export-save")
                yield Button("Cancel", id="export-cancel")

    @property
    def format(self) -> ExportFormat:
        return "json" if self.query_one("#fmt-json", RadioButton).value else "markdown"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """Follow the format in the suggested path unless the user typed their own."""
        path_input = self.query_one("#export-path", Input)
        other: ExportFormat = "markdown" if self.format == "json" else "json"
        if path_input.value == str(default_export_path(self.incident_path, other)):
            path_input.value = str(default_export_path(self.incident_path, self.format))

    def _save(self) -> None:
        value = self.query_one("#export-path", Input).value.strip()
        if value:
            self.dismiss((self.format, Path(value).expanduser()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-save":
            self._save()
        else:
            self.dismiss(None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
