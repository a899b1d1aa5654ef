"""The history of diagnoses: what was diagnosed, what the DBA confirmed, and what resembles it.

A real database behind SQLAlchemy 2 — SQLite in the user's data directory by
default, PostgreSQL for a team — migrated by Alembic when opened. The service
owns one ``History`` and opens it on first use; entry points never talk to the
database themselves. Importing this package is cheap: SQLAlchemy loads when a
history is first opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sleuth.history.errors import HistoryError
from sleuth.history.records import Confirmed, HistoryEntry, RecordedCause, Verdict, VerdictKind

if TYPE_CHECKING:
    from sleuth.history.desk import History

__all__ = ["Confirmed", "History", "HistoryEntry", "HistoryError", "RecordedCause", "Verdict", "VerdictKind"]


def __getattr__(name: str) -> Any:
    if name == "History":
        from sleuth.history.desk import History

        return History
    raise AttributeError(name)
