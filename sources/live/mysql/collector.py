"""The MySQL/MariaDB collector: global status, InnoDB transactions and lock waits, statement digests.

Status variables keep their server names (``Innodb_row_lock_waits``), the
names the knowledge graph's aliases already use for MySQL.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from models import LockWait, SqlDigest, StatementActivity, StatementPlan, TableInfo
from sources.live.collector_base import PLANS_SECTION, SessionCollector
from sources.live.dsn import Dsn
from sources.live.errors import QueryFailed, WriteRefused
from sources.live.host import HostProbe
from sources.live.inflight import Running
from sources.live.mysql import queries as q
from sources.live.mysql import tables
from sources.live.mysql.plans import parse_plan
from sources.live.mysql.session import MySqlSession
from sources.live.mysql.status import is_gauge
from sources.live.sample import Sample, ServerInfo, StatementReading, TableReading
from sources.live.sections import Section, SectionRunner, edge_only, number, put_numbers
from sources.live.session import Row, Session
from sources.live.sqltext import aliases, canonical, qualify, stand_in

_DIGEST = re.compile(r"^[0-9a-fA-F]{1,64}$")
_STATEMENT_COUNTERS = (
    "calls", "total_time_ms", "lock_time_ms", "rows", "rows_examined", "rows_sent", "rows_affected",
    "no_index_used", "no_good_index_used", "tmp_tables", "tmp_disk_tables", "sort_merge_passes",
)  # fmt: skip
TABLES_SECTION = "table statistics"
RUNNING_SECTION = "statements in flight"
# Digests by canonical text, to name the statements sessions are running (least recently used go first).
MAX_SHAPES = 4000


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
        mask_literals: bool = True,
    ) -> None:
        super().__init__(dsn, session_factory or _open, host_probe, mask_literals=mask_literals)
        self._mariadb = False
        self._digests = False
        self._shapes: OrderedDict[str, str] = OrderedDict()
        self._runner = SectionRunner(
            [
                Section("global status", self._status),
                Section("processlist", self._processlist),
                Section("innodb transactions", self._transactions),
                Section("innodb lock waits", self._lock_waits),
                Section("statement digests", self._statement_totals),
                Section(RUNNING_SECTION, self._running),
                edge_only(TABLES_SECTION),
                edge_only(PLANS_SECTION),
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
            if self._host is not None:
                self._watch_server(_pid_in(session.query(q.PID_FILE)))
        except QueryFailed as exc:
            self._runner.notes.append(f"performance_schema check failed ({exc.message})")
        finally:
            session.end_snapshot()
        if not self._digests:
            self._runner.disable("statement digests", "performance_schema is disabled on this server")
            self._runner.disable(TABLES_SECTION, "performance_schema is disabled on this server")
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
                waiting_query=self._shown(r.get("waiting_query"), "mysql"),
                blocking_query=self._shown(r.get("blocking_query"), "mysql"),
                blocking_state=r.get("blocking_state"),
            )
            for r in rows
        )

    def _statement_totals(self, session: Session, sample: Sample) -> None:
        rows = session.query(q.STATEMENT_TOTALS)
        if rows:
            put_numbers(sample.counters, "performance_schema.events_statements_summary_by_digest", rows[0])
        per_digest = [r for r in session.query(q.STATEMENTS) if _DIGEST.match(str(r.get("digest") or ""))]
        for r in per_digest:
            # Rows returned or affected: the one rows figure both engines have.
            r["rows"] = (number(r.get("rows_sent")) or 0.0) + (number(r.get("rows_affected")) or 0.0)

        def texts_of(digests: list[str]) -> list[Row]:
            return session.query(q.STATEMENT_TEXTS.format(digests=", ".join(f"'{d}'" for d in digests)))

        sample.statements = self._statement_readings(per_digest, _STATEMENT_COUNTERS, texts_of, "mysql")
        self._learn_shapes(sample.statements)

    def _learn_shapes(self, readings: dict[str, StatementReading]) -> None:
        """Each new digest under its canonical text; a statement seen running as a stand-in is it now."""
        for digest, reading in readings.items():
            if reading.text is None:
                continue
            shape = canonical(reading.text, "mysql")
            self._shapes[shape] = digest
            self._shapes.move_to_end(shape)
            self._inflight.forget(stand_in(shape))
        while len(self._shapes) > MAX_SHAPES:
            self._shapes.popitem(last=False)

    def _key(self, text: str) -> str:
        """The digest a running statement will be counted under: its canonical text's, else a stand-in."""
        shape = canonical(text, "mysql")
        digest = self._shapes.get(shape)
        if digest is None:
            return stand_in(shape)
        self._shapes.move_to_end(shape)
        return digest

    def _running(self, session: Session, sample: Sample) -> None:
        rows = session.query(q.RUNNING_MARIADB if self._mariadb else q.RUNNING_MYSQL)
        running = [
            Running(
                session=str(r["session"]),
                key=self._key(text),
                elapsed_ms=number(r.get("elapsed_ms")) or 0.0,
                text=text,
                schema=str(r.get("schema_name") or "") or None,
                truncated=bool(number(r.get("truncated"))),
            )
            for r in rows
            if (text := str(r.get("text") or ""))
        ]
        self._add_running(sample, running, "mysql")

    # -- tables and plans, read at the edges of a capture ----------------------------------------
    def _readings(self, session: Session) -> list[TableReading]:
        return tables.readings(session.query(q.TABLE_READINGS), session.query(q.INDEX_READINGS))

    def table_readings(self) -> list[TableReading]:
        return self._runner.guarded(TABLES_SECTION, self._require(), self._readings, [])

    def table_details(self, names: list[str]) -> list[TableInfo]:
        pairs = tables.pair_list(names)
        if pairs is None:
            return []

        def read(session: Session) -> list[TableInfo]:
            current = {(r.schema, r.name): r for r in self._readings(session)}
            return tables.details(
                session.query(q.TABLE_DETAILS.format(pairs=pairs)),
                session.query(q.TABLE_COLUMNS.format(pairs=pairs)),
                session.query(q.INDEX_DETAILS.format(pairs=pairs)),
                current,
            )

        return self._runner.guarded(TABLES_SECTION, self._require(), read, [])

    def plans(self, statements: list[StatementActivity]) -> list[StatementPlan]:
        """Plans from an execution's text (digests have ``?`` for values, which cannot be planned): a
        recent one from the statement history, else one seen running."""
        if not statements or not self._runner.enabled(PLANS_SECTION):
            return []
        digests = [a.digest for a in statements if _DIGEST.match(a.digest)]

        def read(session: Session) -> list[Row]:
            return session.query(q.SAMPLE_TEXTS.format(digests=", ".join(f"'{d}'" for d in digests)))

        samples: dict[str, tuple[str, str | None]] = {}
        nothing: list[Row] = []
        found = self._runner.guarded(PLANS_SECTION, self._require(), read, nothing) if digests else nothing
        for row in found:
            samples.setdefault(
                str(row["digest"]), (str(row["text"]), str(row.get("schema_name") or "") or None)
            )
        out: list[StatementPlan] = []
        failures: list[str] = []
        tried = 0
        for activity in statements:
            sample = samples.get(activity.digest) or self._running_text(activity.digest)
            schema = (sample[1] if sample is not None else None) or activity.schema_name
            text = qualify(sample[0], "mysql", schema) if sample is not None and schema else None
            if text is None:
                continue
            tried += 1
            try:
                document = self._require().explain(text)
            except WriteRefused:
                continue  # not one plain query: never explained
            except QueryFailed as exc:
                failures.append(exc.message)
                continue
            plan = parse_plan(activity.digest, document, aliases(text, "mysql"))
            if plan is not None:
                out.append(plan)
        if digests and not samples and not tried and self._runner.enabled(PLANS_SECTION):
            self._runner.disable(
                PLANS_SECTION,
                "no recent statement texts (performance_schema events_statements_history is off)",
            )
        self._note_plan_failures(failures, tried)
        return out

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


def _pid_in(rows: list[Row]) -> int | None:
    """The process id in the server's pid file, when the file is on this machine and readable."""
    path = str(rows[0].get("pid_file") or "") if rows else ""
    try:
        return int(Path(path).read_text().strip()) if path else None
    except (OSError, ValueError):
        return None
