"""Tables whose ``enter`` says what it does, in the key hints like every other key.

``DataTable`` binds ``enter`` without a description, so no footer can offer
it; these subclasses name it (open an incident, show a row in full).
A table of details hands its owner the row to describe by posting the
ordinary ``RowSelected``.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class OpenTable(DataTable[object]):
    """A list whose rows open something (an incident from the list or a batch)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", id="sleuth.table.open"),
    ]


class DetailTable(DataTable[object]):
    """A table whose rows can be longer than the screen: ``enter`` shows the row in full."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details", id="sleuth.table.details"),
    ]
