"""The failures a live capture reports: one line each, never a password, never a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models import Incident


class CollectError(Exception):
    """Collection cannot start (bad DSN, refused connection, wrong password, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConnectionLost(CollectError):
    """The server stopped answering; the samples taken so far are still good."""


class QueryFailed(CollectError):
    """One statement failed (missing privilege, missing view, timeout) but the session lives on."""


class WriteRefused(CollectError):
    """A statement that is not a plain read reached a collector session: a bug, refused before sending."""


class PartialCollection(CollectError):
    """Collection stopped early; ``incident`` holds every sample taken before it stopped."""

    def __init__(self, message: str, incident: Incident) -> None:
        super().__init__(message)
        self.incident = incident
