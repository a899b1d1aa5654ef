"""The narrow database interface the collectors use, so tests can swap in a fake server.

A collector only ever runs plain reads; a session owns the rest: the read-only
transaction around each snapshot, the statement timeout, and turning driver
exceptions into sleuth's one-line errors.
"""

from __future__ import annotations

from typing import Any, Protocol

Row = dict[str, Any]


class Session(Protocol):
    """One read-only connection; ``query`` runs inside the current snapshot's transaction."""

    @property
    def server_version(self) -> str: ...

    def query(self, sql: str) -> list[Row]:
        """Run one SELECT/SHOW; raise ``QueryFailed`` (session usable) or ``ConnectionLost``."""
        ...

    def explain(self, text: str) -> Any:
        """The JSON plan of one query text (EXPLAIN without ANALYZE; the statement never runs).

        Raises ``WriteRefused`` for a text that is not one plain query, ``QueryFailed`` when the
        server cannot plan it (privilege, unknown table, untyped parameter).
        """
        ...

    def end_snapshot(self) -> None:
        """Roll back the read-only transaction so no snapshot holds a transaction open between samples."""
        ...

    def close(self) -> None: ...
