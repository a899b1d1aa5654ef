"""Where and how to write the report: a path first (the usual edit), then the format.

The dialog writes the file itself and stays open when that fails, with the
reason under the path: a typo in a directory is fixed in place, not typed
again from scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tui.app.export import ExportFormat, default_export_path

Writer = Callable[[ExportFormat, Path], Path]


class ExportDialog(ModalScreen[Path | None]):
    AUTO_FOCUS = "#export-path"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="sleuth.export.cancel"),
        Binding("ctrl+s", "save", "Save", id="sleuth.export.save"),
    ]

    def __init__(self, incident_path: Path, directory: Path, write: Writer) -> None:
        super().__init__(classes="dialog")
        self.incident_path = incident_path
        self.directory = directory
        self.write = write

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label("Export the diagnosis", classes="dialog-title")
            yield Label("Path (enter saves):")
            yield Input(str(self.suggested("markdown")), id="export-path", compact=True)
            yield Static("", id="export-error")
            with RadioSet(id="export-format", compact=True):
                yield RadioButton("Markdown (for the ticket)", value=True, id="fmt-markdown", compact=True)
                yield RadioButton("JSON (models.Diagnosis)", id="fmt-json", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="export-save", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

    def suggested(self, fmt: ExportFormat) -> Path:
        return default_export_path(self.incident_path, fmt, self.directory)

    @property
    def format(self) -> ExportFormat:
        return "json" if self.query_one("#fmt-json", RadioButton).value else "markdown"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """Follow the format in the suggested path unless the user typed their own."""
        path_input = self.query_one("#export-path", Input)
        other: ExportFormat = "markdown" if self.format == "json" else "json"
        if path_input.value == str(self.suggested(other)):
            path_input.value = str(self.suggested(self.format))

    def action_save(self) -> None:
        value = self.query_one("#export-path", Input).value.strip()
        if not value:
            self.show_error("type a path to write the report to")
            return
        self.show_error("")
        self._write(self.format, Path(value).expanduser())

    @work(thread=True, exclusive=True, group="export")
    def _write(self, fmt: ExportFormat, path: Path) -> None:
        try:
            written = self.write(fmt, path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.app.call_from_thread(self.show_error, f"{exc.filename or path}: {reason}")
            return
        self.app.call_from_thread(self.dismiss, written)

    def show_error(self, message: str) -> None:
        self.query_one("#export-error", Static).update(Text(message, style="bold red"))
        if message:
            self.query_one("#export-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
