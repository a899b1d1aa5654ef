"""Every key the current screen answers, wrapped onto as many lines as the terminal needs (k9s style).

Textual's ``Footer`` is one line: on an 80-column terminal the keys that do
not fit (help and quit first, being last) are simply not there. This line
wraps instead, so nothing is hidden at any size. Keys come from the live
bindings, so a remapped key shows as remapped, a key the screen turns off
is not offered, and one that cannot act yet is dimmed. While a text box has
the focus, letters type into it: only the keys that still act are shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input

SEPARATOR = "  "
GLOBAL_MARK = "│ "

Hint = tuple[str, str, bool, str]  # key shown, description, enabled, key to simulate on click


def typed_by_inputs(key: str) -> bool:
    """Keys a focused text box consumes: printable characters (``q``, ``/``, ``question_mark``)."""
    return len(key) == 1 or key in {"question_mark", "slash", "space", "full_stop", "comma", "minus"}


class KeyHints(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyHints {
        dock: bottom;
        height: auto;
        padding: 0 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    KeyHints > .key-hints--key {
        color: $footer-key-foreground;
        text-style: bold;
    }
    KeyHints > .key-hints--disabled {
        color: $text-disabled;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-hints--key", "key-hints--disabled"}

    def __init__(self) -> None:
        super().__init__()
        self._following: Screen[object] | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)
        self.follow(None)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh(layout=True)

    def follow(self, dialog: Screen[object] | None) -> None:
        """Show the keys of ``dialog`` (a modal over this screen) until it closes; ``None`` stops."""
        if self._following is not None:
            self._following.bindings_updated_signal.unsubscribe(self)
        self._following = dialog
        if dialog is not None:
            dialog.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.refresh(layout=True)

    @property
    def source(self) -> Screen[object]:
        """The screen whose keys act now: a dialog over this screen, else this screen."""
        return self._following if self._following is not None and self._following.is_attached else self.screen

    def hints(self) -> tuple[list[Hint], list[Hint]]:
        """(this screen's keys, the app's keys), each once, in the order they are declared."""
        typing = isinstance(self.app.focused, Input)
        local: list[Hint] = []
        shared: list[Hint] = []
        seen: set[str] = set()
        for key, active in self.source.active_bindings.items():
            binding: Binding = active.binding
            if not binding.show or not binding.description or binding.action in seen:
                continue
            if typing and typed_by_inputs(key):
                continue
            seen.add(binding.action)
            hint = (self.app.get_key_display(binding), binding.description, active.enabled, key)
            (shared if active.node is self.app else local).append(hint)
        if self.app.ENABLE_COMMAND_PALETTE and not isinstance(self.source, ModalScreen):
            shared.append(("^p", "Palette", True, "ctrl+p"))
        return local, shared

    def lines(self, width: int) -> list[Text]:
        """The hints laid out in ``width`` columns; a pair is never split across lines."""
        key_style = self.get_component_rich_style("key-hints--key", partial=True)
        off_style = self.get_component_rich_style("key-hints--disabled", partial=True)
        local, shared = self.hints()
        out: list[Text] = []
        row = Text()
        for piece in self._pieces(local, shared, key_style, off_style):
            gap = SEPARATOR if row.cell_len and not piece.plain.startswith(GLOBAL_MARK) else " "
            if row.cell_len and row.cell_len + len(gap) + piece.cell_len > width:
                out.append(row)
                row = Text()
            elif row.cell_len:
                row.append(gap)
            row.append_text(piece)
        if row.cell_len or not out:
            out.append(row)
        return out

    @staticmethod
    def _pieces(local: list[Hint], shared: list[Hint], key_style: Style, off_style: Style) -> Iterator[Text]:
        for group, hints in enumerate((local, shared)):
            for i, (shown, description, enabled, key) in enumerate(hints):
                click = Style.from_meta({"@click": f"app.simulate_key({key!r})"})
                piece = Text()
                if group == 1 and i == 0 and local:
                    piece.append(GLOBAL_MARK)
                piece.append(shown, (key_style if enabled else off_style) + click)
                piece.append(f" {description}", (Style() if enabled else off_style) + click)
                yield piece

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> RenderResult:
        return Text("\n").join(self.lines(self.content_region.width or self.size.width))
