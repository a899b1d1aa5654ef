"""Where tools read from: an incident file (``IncidentSource``) or a live server (``sources.live``).

Tools see only this protocol, so the same plan runs against a recorded incident
and against a live database; the live implementation must keep every method
read-only.
"""

from __future__ import annotations

from typing import Protocol

from models import Event, Incident, Instance, LockWait, LogExcerpt, MetricSeries, SqlDigest


class DataSource(Protocol):
    def instance(self) -> Instance: ...
    def metrics(self) -> list[MetricSeries]: ...
    def top_sql(self) -> list[SqlDigest]: ...
    def lock_waits(self) -> list[LockWait]: ...
    def events(self) -> list[Event]: ...
    def logs(self) -> list[LogExcerpt]: ...
    def settings(self) -> dict[str, str]: ...


class IncidentSource:
    """Reads a recorded incident; copies nothing, since tools never mutate what they read."""

    def __init__(self, incident: Incident) -> None:
        self.incident = incident

    def instance(self) -> Instance:
        return self.incident.instance

    def metrics(self) -> list[MetricSeries]:
        return self.incident.metrics

    def top_sql(self) -> list[SqlDigest]:
        return self.incident.top_sql

    def lock_waits(self) -> list[LockWait]:
        return self.incident.lock_waits

    def events(self) -> list[Event]:
        return self.incident.events

    def logs(self) -> list[LogExcerpt]:
        return self.incident.logs

    def settings(self) -> dict[str, str]:
        return self.incident.settings
