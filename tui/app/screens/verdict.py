"""The DBA's word on a cause: confirm or reject it, with an optional note for whoever reads the history.

A verdict is stored in the history and teaches sleuth (similar incidents,
learned rules), so it is never one stray key: ``y`` or ``n`` opens this
dialog, ``enter`` records, ``escape`` gives up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

if TYPE_CHECKING:
    from sleuth.history import VerdictKind


class VerdictDialog(ModalScreen[str | None]):
    """Dismissed with the note (possibly empty) to record the verdict, or ``None`` to give up."""

    AUTO_FOCUS = "#verdict-note"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="sleuth.verdict.cancel"),
    ]

    def __init__(self, verdict: VerdictKind, cause: str, incident: str) -> None:
        super().__init__(classes="dialog")
        self.verdict = verdict
        self.cause = cause
        self.incident = incident

    def compose(self) -> ComposeResult:
        verb = "Confirm" if self.verdict == "confirmed" else "Reject"
        meaning = "was a cause of" if self.verdict == "confirmed" else "was not what happened in"
        with Vertical(classes="dialog-body"):
            yield Label(f"{verb} {self.cause}", classes="dialog-title")
            yield Static(
                f"You say {self.cause} {meaning} {self.incident}. A note for the history (optional):"
            )
            yield Input(
                placeholder="e.g. ticket 4711, blocker found in the app logs", id="verdict-note", compact=True
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    verb, variant="success" if verb == "Confirm" else "error", id="verdict-ok", compact=True
                )
                yield Button("Cancel", id="verdict-cancel", compact=True)

    def _record(self) -> None:
        self.dismiss(self.query_one("#verdict-note", Input).value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._record()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "verdict-ok":
            self._record()
        else:
            self.dismiss(None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
