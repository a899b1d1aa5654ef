"""What the watcher reports: one event per incident change or server change, as one JSON line each.

Incident text (statement SQL, table names, labels) rides in these events as
data: JSON-escaped on stdout, in stdin and environment variables for a hook,
and as plain text for Apprise; it never becomes part of a command line.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventKind = Literal[
    "opened",
    "updated",
    "resolved",
    "discarded",
    "connected",
    "unreachable",
    "reconnected",
    "stopped",
]
# The kinds a person is told about (Apprise, the hook); every kind goes to stdout. ``discarded`` (an
# incident that ended before any rule explained it) is on stdout only: no one was told it opened.
NOTIFIED: frozenset[str] = frozenset({"opened", "updated", "resolved", "unreachable"})


class CauseBrief(BaseModel):
    model_config = ConfigDict(frozen=True)

    cause: str
    certainty: float
    title: str = ""


class WatchEvent(BaseModel):
    """One thing the watcher has to say about one server."""

    model_config = ConfigDict(frozen=True)

    kind: EventKind
    server: str
    time: float = Field(default_factory=time.time)
    tags: list[str] = Field(default_factory=list)
    incident: str | None = None
    onset: float | None = None
    end: float | None = None
    causes: list[CauseBrief] = Field(default_factory=list)
    statement: str | None = Field(default=None, description="the top cause's statement (masked text)")
    table: str | None = None
    path: str | None = Field(default=None, description="the incident file")
    message: str = ""
    suppressed: int = Field(
        default=0, description="notifications held back by the rate limits before this one"
    )

    @property
    def top(self) -> str | None:
        return self.causes[0].cause if self.causes else None

    def headline(self) -> str:
        """One line for a person: what happened on which server, and the top cause."""
        what = {
            "opened": "incident",
            "updated": "incident update",
            "resolved": "incident resolved",
            "discarded": "incident discarded",
            "unreachable": "server unreachable",
            "reconnected": "server reachable again",
            "connected": "watching",
            "stopped": "stopped watching",
        }[self.kind]
        top = f": {self.causes[0].cause} ({self.causes[0].certainty:.2f})" if self.causes else ""
        return f"sleuth {what} on {self.server}{top}"
