"""The PostgreSQL collector: statistics views into counters, gauges, lock waits and top SQL.

Metric names are ``view.column`` (``pg_stat_database.xact_commit``), the form
the knowledge graph's aliases use, so the rules read live captures with the
same vocabulary as imported ones.
"""

from __future__ import annotations

from collections.abc import Callable

from models import LockWait, SqlDigest, StatementActivity, StatementPlan, TableInfo
from models.workload import PlanSource
from sources.live.collector_base import PLANS_SECTION, SessionCollector
from sources.live.dsn import Dsn
from sources.live.errors import QueryFailed, WriteRefused
from sources.live.host import HostProbe
from sources.live.inflight import Running
from sources.live.postgres import queries as q
from sources.live.postgres import tables
from sources.live.postgres.plans import parse_plan
from sources.live.postgres.session import PgSession
from sources.live.sample import Sample, ServerInfo, TableReading
from sources.live.sections import Section, SectionRunner, edge_only, number, put_numbers
from sources.live.session import Row, Session

_DB_COUNTERS = (
    "xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_returned", "tup_fetched",
    "tup_inserted", "tup_updated", "tup_deleted", "conflicts", "temp_files", "temp_bytes",
    "deadlocks", "blk_read_time", "blk_write_time",
)  # fmt: skip
_TABLE_COUNTERS = (
    "seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "n_tup_ins", "n_tup_upd", "n_tup_del",
    "n_tup_hot_upd", "autovacuum_count", "autoanalyze_count",
)  # fmt: skip
_TABLE_GAUGES = ("n_live_tup", "n_dead_tup", "max_dead_tup_ratio", "max_seconds_since_autovacuum")
_STATEMENT_COUNTERS = (
    "calls", "total_time_ms", "rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied",
    "shared_blks_written", "temp_blks_read", "temp_blks_written", "wal_bytes", "plan_time_ms",
)  # fmt: skip
TABLES_SECTION = "table statistics"
RUNNING_SECTION = "statements in flight"
_BGWRITER_COUNTERS = (
    "checkpoints_timed", "checkpoints_req", "checkpoint_write_time", "checkpoint_sync_time",
    "buffers_checkpoint", "buffers_clean", "maxwritten_clean", "buffers_backend", "buffers_alloc",
)  # fmt: skip


def _one(session: Session, sql: str) -> dict[str, object]:
    rows = session.query(sql)
    return rows[0] if rows else {}


class PostgresCollector(SessionCollector):
    """Reads PostgreSQL's statistics views through a read-only session (``pg_monitor`` is enough)."""

    def __init__(
        self,
        dsn: Dsn,
        *,
        session_factory: Callable[[Dsn], Session] | None = None,
        host_probe: HostProbe | None = None,
        mask_literals: bool = True,
    ) -> None:
        super().__init__(dsn, session_factory or PgSession, host_probe, mask_literals=mask_literals)
        self._statements = False
        self._runner = SectionRunner(
            [
                Section("pg_stat_database", self._database),
                Section("pg_stat_activity", self._activity),
                Section("pg_locks", self._locks),
                Section("pg_blocking_pids", self._blocking),
                Section("pg_stat_user_tables", self._tables),
                Section("pg_stat_bgwriter", self._bgwriter),
                Section("pg_stat_wal", self._wal),
                Section("pg_stat_statements", self._statement_totals),
                Section(RUNNING_SECTION, self._running),
                edge_only(TABLES_SECTION),
                edge_only(PLANS_SECTION),
            ]
        )

    # -- lifecycle -------------------------------------------------------------------------------
    def connect(self) -> ServerInfo:
        session = self._factory(self._dsn)
        self._session = session
        try:
            limits = _one(session, q.CONNECTION_LIMIT)
            self._max_connections = number(limits.get("max_connections"))
            self._statements = bool(session.query(q.STATEMENTS_INSTALLED))
            if self._host is not None:
                backend = number(_one(session, q.BACKEND_PID).get("pid"))
                self._watch_server(None if backend is None else self._host.parent_of(int(backend)))
        except QueryFailed as exc:
            self._runner.notes.append(f"connection limits: not collected ({exc.message})")
        finally:
            session.end_snapshot()
        if not self._statements:
            self._runner.disable(
                "pg_stat_statements",
                f"the pg_stat_statements extension is not installed in database {self._dsn.database or 'postgres'!r}",
            )
        if self._major() < 14:
            self._runner.disable(RUNNING_SECTION, "pg_stat_activity has no query_id before PostgreSQL 14")
        return self._server_info("postgres", session.server_version)

    def _database(self, session: Session, sample: Sample) -> None:
        row = _one(session, q.DATABASE)
        put_numbers(sample.counters, "pg_stat_database", row, _DB_COUNTERS)
        put_numbers(sample.gauges, "pg_stat_database", row, ("numbackends",))
        hit, read = number(row.get("blks_hit")), number(row.get("blks_read"))
        if hit is not None and read is not None:
            # Cumulative pair kept so the builder can derive the window's hit ratio from deltas.
            sample.counters["pg_stat_database.blks_total"] = hit + read

    def _activity(self, session: Session, sample: Sample) -> None:
        row = _one(session, q.ACTIVITY)
        put_numbers(sample.gauges, "pg_stat_activity", row)
        total = number(row.get("total"))
        if total is not None and self._max_connections:
            # +1: the collector's own connection counts against max_connections too.
            sample.gauges["pg_stat_activity.connections_used_pct"] = (
                100.0 * (total + 1) / self._max_connections
            )

    def _locks(self, session: Session, sample: Sample) -> None:
        put_numbers(sample.gauges, "pg_locks", _one(session, q.LOCKS))

    def _blocking(self, session: Session, sample: Sample) -> None:
        rows = session.query(q.BLOCKING)
        blocked = {str(r["waiting_pid"]) for r in rows}
        sample.gauges["pg_locks.blocked_sessions"] = float(len(blocked))
        sample.gauges["pg_locks.blocking_sessions"] = float(len({str(r["blocking_pid"]) for r in rows}))
        sample.gauges["pg_locks.max_wait_age"] = max((number(r["wait_s"]) or 0.0 for r in rows), default=0.0)
        sample.lock_waits.extend(
            LockWait(
                time=sample.time,
                waiting_session=str(r["waiting_pid"]),
                blocking_session=str(r["blocking_pid"]),
                lock_type=str(r.get("lock_type") or ""),
                object=str(r["object"]) if r.get("object") is not None else None,
                wait_s=max(0.0, number(r.get("wait_s")) or 0.0),
                waiting_query=self._shown(r.get("waiting_query"), "postgres"),
                blocking_query=self._shown(r.get("blocking_query"), "postgres"),
                blocking_state=r.get("blocking_state"),
            )
            for r in rows
        )

    def _tables(self, session: Session, sample: Sample) -> None:
        row = _one(session, q.TABLES)
        put_numbers(sample.counters, "pg_stat_user_tables", row, _TABLE_COUNTERS)
        put_numbers(sample.gauges, "pg_stat_user_tables", row, _TABLE_GAUGES)

    def _bgwriter(self, session: Session, sample: Sample) -> None:
        put_numbers(sample.counters, "pg_stat_bgwriter", _one(session, q.BGWRITER), _BGWRITER_COUNTERS)

    def _wal(self, session: Session, sample: Sample) -> None:
        put_numbers(sample.counters, "pg_stat_wal", _one(session, q.WAL))

    def _statement_totals(self, session: Session, sample: Sample) -> None:
        put_numbers(sample.counters, "pg_stat_statements", _one(session, q.STATEMENTS_TOTALS))
        rows = session.query(q.STATEMENTS if self._major() >= 13 else q.STATEMENTS_PG12)

        def texts_of(digests: list[str]) -> list[Row]:
            ids = [d for d in digests if d.lstrip("-").isdigit()]
            return session.query(q.STATEMENT_TEXTS.format(ids=", ".join(ids))) if ids else []

        sample.statements = self._statement_readings(rows, _STATEMENT_COUNTERS, texts_of, "postgres")

    def _running(self, session: Session, sample: Sample) -> None:
        running = [
            Running(
                session=str(r["session"]),
                key=str(r["digest"]),
                elapsed_ms=number(r.get("elapsed_ms")) or 0.0,
                text=str(r.get("text") or ""),
                schema=str(r.get("schema_name") or "") or None,
                truncated=bool(number(r.get("truncated"))),
            )
            for r in session.query(q.RUNNING)
        ]
        self._add_running(sample, running, "postgres")

    def _major(self) -> int:
        head = self._require().server_version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0

    # -- tables and plans, read at the edges of a capture ----------------------------------------
    def table_readings(self) -> list[TableReading]:
        def read(session: Session) -> list[TableReading]:
            return tables.readings(session.query(q.TABLE_READINGS), session.query(q.INDEX_READINGS))

        return self._runner.guarded(TABLES_SECTION, self._require(), read, [])

    def table_details(self, names: list[str]) -> list[TableInfo]:
        listed = tables.name_list(names)
        if listed is None:
            return []

        def read(session: Session) -> list[TableInfo]:
            return tables.details(
                session.query(q.TABLE_DETAILS.format(names=listed)),
                session.query(q.INDEX_DETAILS.format(names=listed)),
                names,
            )

        return self._runner.guarded(TABLES_SECTION, self._require(), read, [])

    def plans(self, statements: list[StatementActivity]) -> list[StatementPlan]:
        if not self._runner.enabled(PLANS_SECTION):
            return []
        out: list[StatementPlan] = []
        failures: list[str] = []
        for activity in statements:
            text = self._plan_text(activity)
            try:
                document = self._require().explain(text)
            except WriteRefused:
                continue  # not one plain query: never explained
            except QueryFailed as exc:
                failures.append(exc.message)
                continue
            source: PlanSource = "generic" if "$" in text else "sample"
            plan = parse_plan(activity.digest, document, source) if document is not None else None
            if plan is not None:
                out.append(plan)
        self._note_plan_failures(failures, len(statements))
        return out

    def _plan_text(self, activity: StatementActivity) -> str:
        """pg_stat_statements' normalised text; for a statement seen running before the server counted
        it, the session's own text (its stored text is masked, which does not plan)."""
        running = self._running_text(activity.digest)
        if activity.digest not in self._texts and running is not None:
            return running[0]
        return activity.text

    # -- snapshots -------------------------------------------------------------------------------
    def top_sql(self) -> list[SqlDigest]:
        if not self._statements:
            return []
        session = self._require()
        try:
            rows = session.query(q.TOP_STATEMENTS)
        except QueryFailed as exc:
            self._runner.disable("pg_stat_statements", exc.message)
            self._statements = False
            return []
        finally:
            session.end_snapshot()
        return [
            SqlDigest(
                digest=str(r["digest"]),
                text=str(r.get("text") or ""),
                calls=int(number(r.get("calls")) or 0),
                total_time_ms=max(0.0, number(r.get("total_exec_time")) or 0.0),
                mean_time_ms=max(0.0, number(r.get("mean_exec_time")) or 0.0),
                rows_examined=None,
                rows_sent=int(number(r.get("rows")) or 0),
                shared_blks_read=int(number(r.get("shared_blks_read")) or 0),
                shared_blks_hit=int(number(r.get("shared_blks_hit")) or 0),
                temp_blks_written=int(number(r.get("temp_blks_written")) or 0),
                plan_time_ms=max(0.0, number(r.get("total_plan_time")) or 0.0),
            )
            for r in rows
        ]

    def settings(self) -> dict[str, str]:
        session = self._require()
        try:
            rows = session.query(q.SETTINGS)
        except QueryFailed as exc:
            self._runner.notes.append(f"pg_settings: not collected ({exc.message})")
            return {}
        finally:
            session.end_snapshot()
        return {str(r["name"]): str(r["setting"]) for r in rows}
