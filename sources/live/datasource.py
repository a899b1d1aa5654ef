"""The planner's data source over a live server: the capture's series, plus what the server says now.

A plan runs after the capture, when the question is often "is it still
happening?": lock waits and settings are read again from the server (read-only,
as every collector read), while the time series stay those of the capture the
rules diagnosed. It satisfies ``planner.tools.datasource.DataSource``
structurally, so ``sources`` does not depend on the planner. A server that no
longer answers is not an error for a tool: the capture's own records are
returned and ``notes`` says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from models import Event, Incident, Instance, LockWait, LogExcerpt, MetricSeries, SqlDigest
from sources.live.dsn import Dsn
from sources.live.errors import CollectError
from sources.live.sample import Collector
from sources.live.sampler import open_collector

T = TypeVar("T")


class LiveSource:
    def __init__(
        self,
        incident: Incident,
        dsn: Dsn,
        *,
        collector_factory: Callable[[Dsn], Collector] = open_collector,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.incident = incident
        self._dsn = dsn
        self._factory = collector_factory
        self._clock = clock
        self.notes: list[str] = []

    def _fresh(self, read: Callable[[Collector], T]) -> T | None:
        collector = self._factory(self._dsn)
        try:
            collector.connect()
            return read(collector)
        except CollectError as exc:
            self.notes.append(f"live read failed, using the capture: {exc.message}")
            return None
        finally:
            collector.close()

    def instance(self) -> Instance:
        return self.incident.instance

    def metrics(self) -> list[MetricSeries]:
        return self.incident.metrics

    def events(self) -> list[Event]:
        return self.incident.events

    def logs(self) -> list[LogExcerpt]:
        return self.incident.logs

    def lock_waits(self) -> list[LockWait]:
        """The capture's lock waits followed by the ones in effect now."""
        now = self._fresh(lambda c: c.sample(self._clock()).lock_waits)
        return [*self.incident.lock_waits, *(now or [])]

    def top_sql(self) -> list[SqlDigest]:
        """The capture's statement load; the server's cumulative digests when the capture had none."""
        if self.incident.top_sql:
            return self.incident.top_sql
        return self._fresh(lambda c: c.top_sql()) or []

    def settings(self) -> dict[str, str]:
        """Settings as the server has them now (they may have been changed since the capture)."""
        now = self._fresh(lambda c: c.settings())
        return now if now else dict(self.incident.settings)
