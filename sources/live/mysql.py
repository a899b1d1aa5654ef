"""The MySQL/MariaDB collector: global status, InnoDB transactions and lock waits, statement digests.

Status variables keep their server names (``Innodb_row_lock_waits``), the
names the knowledge graph's aliases already use for MySQL.
"""

from __future__ import annotations

from collections.abc import Callable

from models import LockWait, SqlDigest
from sources.live import mysql_queries as q
from sources.live.collector_base import SessionCollector
from sources.live.dsn import Dsn
from sources.live.errors import QueryFailed
from sources.live.host import HostProbe
from sources.live.mysql_session import MySqlSession
from sources.live.mysql_status import is_gauge
from sources.live.sample import Sample, ServerInfo
from sources.live.sections import Section, SectionRunner, number, put_numbers
from sources.live.session import Session


def _open(dsn: Dsn) -> Session:
    return MySqlSession(dsn)


class MySqlCollector(SessionCollector):
    """Reads a MySQL or MariaDB server with PROCESS, REPLICATION CLIENT and SELECT on performance_schema."""

    def __init__(
        self,
        dsn: Dsn,
        *,
        session_factory: Callable[[Dsn], Session] | None = None,
        host_probe: HostProbe | None = None,
    ) -> None:
        super().__init__(dsn, session_factory or _open, host_probe)
        self._mariadb = False
        self._digests = False
        self._runner = SectionRunner(
            [
                Section("global status", self._status),
                Section("processlist", self._processlist),
                Section("innodb transactions", self._transactions),
                Section("innodb lock waits", self._lock_waits),
                Section("statement digests", self._statement_totals),
            ]
        )

    def connect(self) -> ServerInfo:
        session = self._factory(self._dsn)
        self._session = session
        version = session.server_version
        self._mariadb = "mariadb" in version.lower()
        try:
            rows = session.query(q.PERFORMANCE_SCHEMA_ON)
            self._digests = bool(rows) and str(rows[0].get("Value", "")).upper() == "ON"
        except QueryFailed as exc:
            self._runner.notes.append(f"performance_schema check failed ({exc.message})")
        finally:
            session.end_snapshot()
        if not self._digests:
            self._runner.disable("statement digests", "performance_schema is disabled on this server")
        return self._server_info("mariadb" if self._mariadb else "mysql", version)

    def _status(self, session: Session, sample: Sample) -> None:
        for row in session.query(q.STATUS):
            name, value = str(row.get("Variable_name", "")), number(row.get("Value"))
            if not name or value is None:
                continue
            (sample.gauges if is_gauge(name) else sample.counters)[name] = value
        connected = sample.gauges.get("Threads_connected")
        if connected is not None and self._max_connections is None:
            self._max_connections = self._variable(session, "max_connections")
        if connected is not None and self._max_connections:
            sample.gauges["processlist.connections_used_pct"] = 100.0 * connected / self._max_connections

    def _variable(self, session: Session, name: str) -> float | None:
        rows = session.query(f"SHOW GLOBAL VARIABLES LIKE '{name}'")
        return number(rows[0].get("Value")) if rows else None

    def _processlist(self, session: Session, sample: Sample) -> None:
        rows = session.query(q.PROCESSLIST)
        if rows:
            put_numbers(sample.gauges, "processlist", rows[0])

    def _transactions(self, session: Session, sample: Sample) -> None:
        rows = session.query(q.TRANSACTIONS)
        if rows:
            put_numbers(sample.gauges, "information_schema.innodb_trx", rows[0])
            active = sample.gauges.get("processlist.active")
            waiting = number(rows[0].get("lock_wait"))
            if active is not None and waiting is not None:
                # Running statements not queued on a row lock: Performance Insights' "DB load on CPU"
                # as closely as MySQL shows it without wait instrumentation.
                sample.gauges["processlist.active_not_waiting"] = max(0.0, active - waiting)

    def _lock_waits(self, session: Session, sample: Sample) -> None:
        rows = session.query(q.LOCK_WAITS_MARIADB if self._mariadb else q.LOCK_WAITS_MYSQL8)
        sample.gauges["sys.innodb_lock_waits.count"] = float(len({r["waiting_thread"] for r in rows}))
        sample.gauges["sys.innodb_lock_waits.max_wait_age"] = max(
            (number(r.get("wait_s")) or 0.0 for r in rows), default=0.0
        )
        sample.lock_waits.extend(
            LockWait(
                time=sample.time,
                waiting_session=str(r["waiting_thread"]),
                blocking_session=str(r["blocking_thread"]),
                lock_type=str(r.get("lock_type") or ""),
                object=str(r["object"]) if r.get("object") is not None else None,
                wait_s=max(0.0, number(r.get("wait_s")) or 0.0),
                waiting_query=r.get("waiting_query"),
                blocking_query=r.get("blocking_query"),
                blocking_state=r.get("blocking_state"),
            )
            for r in rows
        )

    def _statement_totals(self, session: Session, sample: Sample) -> None:
        rows = session.query(q.STATEMENT_TOTALS)
        if rows:
            put_numbers(sample.counters, "performance_schema.events_statements_summary_by_digest", rows[0])

    def top_sql(self) -> list[SqlDigest]:
        if not self._digests:
            return []
        session = self._require()
        try:
            rows = session.query(q.TOP_STATEMENTS)
        except QueryFailed as exc:
            self._runner.disable("statement digests", exc.message)
            self._digests = False
            return []
        finally:
            session.end_snapshot()
        return [
            SqlDigest(
                digest=str(r["digest"]),
                text=str(r.get("text") or ""),
                calls=int(number(r.get("calls")) or 0),
                total_time_ms=max(0.0, number(r.get("total_ms")) or 0.0),
                mean_time_ms=max(0.0, number(r.get("mean_ms")) or 0.0),
                rows_examined=int(number(r.get("rows_examined")) or 0),
                rows_sent=int(number(r.get("rows_sent")) or 0),
                rows_affected=int(number(r.get("rows_affected")) or 0),
                temp_disk_tables=int(number(r.get("temp_disk_tables")) or 0),
                no_index_used=int(number(r.get("no_index_used")) or 0),
            )
            for r in rows
            if r.get("digest")
        ]

    def settings(self) -> dict[str, str]:
        session = self._require()
        try:
            rows = session.query(q.VARIABLES)
        except QueryFailed as exc:
            self._runner.notes.append(f"global variables: not collected ({exc.message})")
            return {}
        finally:
            session.end_snapshot()
        return {str(r["Variable_name"]): str(r["Value"]) for r in rows}
