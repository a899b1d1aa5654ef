"""What every live collector does the same way: hold one read-only session, run its sections, add host figures.

The engine collectors differ only in their sections and in how they learn the
server's limits on connect; the session's life cycle, the host probe and the
notes live here once.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from models import Engine
from sources.live.dsn import Dsn
from sources.live.host import HostProbe
from sources.live.sample import Sample, ServerInfo
from sources.live.sections import SectionRunner
from sources.live.session import Session


class SessionCollector:
    """Base of the engine collectors; a subclass sets ``self._runner`` to its sections."""

    _runner: SectionRunner

    def __init__(
        self,
        dsn: Dsn,
        session_factory: Callable[[Dsn], Session],
        host_probe: HostProbe | None,
    ) -> None:
        self._dsn = dsn
        self._factory = session_factory
        self._session: Session | None = None
        self._host = host_probe if host_probe is not None else (HostProbe() if dsn.is_local else None)
        self._max_connections: float | None = None

    def _server_info(self, engine: Engine, version: str) -> ServerInfo:
        local = self._host is not None and self._host.available()
        return ServerInfo(
            engine=engine,
            version=version,
            host=self._dsn.endpoint,
            vcpu=os.cpu_count() if local else None,
            memory_gb=self._host.memory_gb() if local and self._host is not None else None,
            local=local,
        )

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _require(self) -> Session:
        if self._session is None:
            raise RuntimeError("connect() first")
        return self._session

    def sample(self, now: float) -> Sample:
        sample = Sample(time=now)
        self._runner.run(self._require(), sample)
        if self._host is not None and self._host.available():
            reading = self._host.read()
            sample.counters.update(reading.counters)
            sample.gauges.update(reading.gauges)
        return sample

    def notes(self) -> list[str]:
        return list(self._runner.notes)
