"""The history of diagnoses: what was diagnosed, what the DBA confirmed, and what resembles it.

A real database behind SQLAlchemy 2 — SQLite in the user's data directory by
default, PostgreSQL for a team — migrated by Alembic when opened. The service
owns one ``History`` and opens it on first use; entry points never talk to the
database themselves. Importing this package is cheap: SQLAlchemy loads when a
history is first opened, the record types when first named (a diagnosis only
needs ``location``, and importing it runs this file).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sleuth.history.errors import HistoryError

if TYPE_CHECKING:
    from sleuth.history.desk import History
    from sleuth.history.records import Confirmed, HistoryEntry, RecordedCause, Verdict, VerdictKind

_LAZY = {
    "History": "sleuth.history.desk",
    "Confirmed": "sleuth.history.records",
    "HistoryEntry": "sleuth.history.records",
    "RecordedCause": "sleuth.history.records",
    "Verdict": "sleuth.history.records",
    "VerdictKind": "sleuth.history.records",
}

__all__ = ["Confirmed", "History", "HistoryEntry", "HistoryError", "RecordedCause", "Verdict", "VerdictKind"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sleuth.history' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
