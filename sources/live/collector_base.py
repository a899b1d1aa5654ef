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
from sources.live.inflight import InFlight, Running
from sources.live.sample import Sample, ServerInfo, StatementReading
from sources.live.sections import SectionRunner, number
from sources.live.session import Row, Session
from sources.live.sqltext import Dialect, mask

PLANS_SECTION = "plans"


class SessionCollector:
    """Base of the engine collectors; a subclass sets ``self._runner`` to its sections."""

    _runner: SectionRunner

    def __init__(
        self,
        dsn: Dsn,
        session_factory: Callable[[Dsn], Session],
        host_probe: HostProbe | None,
        *,
        mask_literals: bool = True,
    ) -> None:
        self._dsn = dsn
        self._mask = mask_literals
        self._factory = session_factory
        self._session: Session | None = None
        self._host = host_probe if host_probe is not None else (HostProbe() if dsn.is_local else None)
        self._max_connections: float | None = None
        self._texts: set[str] = set()
        self._inflight = InFlight()

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

    def _watch_server(self, pid: int | None) -> None:
        """Have the host probe account the server's CPU apart, when ``pid`` is its process here."""
        host = self._host
        if pid is not None and host is not None and host.available() and not host.watch_server(pid):
            self._runner.notes.append(
                f"host: process {pid} is not a database server here; its CPU is not split out"
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

    def _shown(self, text: object, dialect: Dialect) -> str | None:
        """A statement text as it may be stored: literals masked unless the user asked to keep them."""
        if text is None:
            return None
        raw = str(text)
        return mask(raw, dialect) if self._mask else raw

    def _note_plan_failures(self, failures: list[str], tried: int) -> None:
        """One line for the plans that could not be made; all of them failing disables the section."""
        if not failures:
            return
        if len(failures) == tried:
            self._runner.disable(PLANS_SECTION, failures[0])
        else:
            self._runner.notes.append(
                f"{PLANS_SECTION}: {len(failures)} of {tried} statement(s) could not be planned ({failures[0]})"
            )

    def _statement_readings(
        self,
        rows: list[Row],
        names: tuple[str, ...],
        texts_of: Callable[[list[str]], list[Row]],
        dialect: Dialect,
    ) -> dict[str, StatementReading]:
        """Each statement's counters; its text (masked) and schema only the first time it is seen.

        ``texts_of`` reads the texts of the digests given (already checked by the caller), so
        a query file or digest table is read for new statements only.
        """
        fresh = [str(r["digest"]) for r in rows if str(r["digest"]) not in self._texts]
        texts = {str(t["digest"]): t for t in texts_of(fresh)} if fresh else {}
        self._texts.update(texts)
        readings: dict[str, StatementReading] = {}
        for r in rows:
            digest = str(r["digest"])
            counters = {k: v for k in names if (v := number(r.get(k))) is not None}
            text = texts.get(digest)
            readings[digest] = StatementReading(
                counters=counters,
                text=None if text is None else self._shown(text.get("text"), dialect) or "",
                schema=None if text is None else str(text.get("schema_name") or "") or None,
            )
        return readings

    def _add_running(self, sample: Sample, running: list[Running], dialect: Dialect) -> None:
        """The statements the sessions are running now, added to the sample's statement load."""
        sample.statements = self._inflight.add(
            sample.statements,
            running,
            lambda text: self._shown(text, dialect) or "",
            lambda key: key in self._texts,
        )

    def _running_text(self, key: str) -> tuple[str, str | None] | None:
        """A text of ``key`` as a session ran it (literals included, for EXPLAIN only), and its schema."""
        return self._inflight.sample_text(key)
