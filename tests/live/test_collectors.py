"""The collectors against fake servers: what they read, what they make of it, how they degrade."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sources.live.dsn import Dsn, parse_dsn
from sources.live.errors import QueryFailed
from sources.live.host import HostProbe
from sources.live.mysql import MySqlCollector
from sources.live.mysql import queries as myq
from sources.live.postgres import PostgresCollector
from sources.live.postgres import queries as pgq
from sources.live.session import Row, Session
from tests.live.fakes import FakeSession

PG_ROWS: dict[str, list[Row]] = {
    pgq.CONNECTION_LIMIT: [{"max_connections": 100, "reserved": 3}],
    pgq.STATEMENTS_INSTALLED: [{"installed": 1}],
    pgq.DATABASE: [{"xact_commit": Decimal(500), "blks_read": 10, "blks_hit": 990, "numbackends": 7}],
    pgq.ACTIVITY: [
        {"total": 9, "active": 2, "idle_in_transaction": 1, "max_transaction_age": Decimal("3.5")}
    ],
    pgq.LOCKS: [{"waiting": 1, "total": 12, "waiting_sessions": 1}],
    pgq.BLOCKING: [
        {
            "waiting_pid": 11,
            "blocking_pid": 10,
            "lock_type": "transactionid",
            "object": None,
            "wait_s": Decimal("2.5"),
            "waiting_query": "UPDATE t SET a = 1 WHERE id = 1",
            "blocking_query": "UPDATE t SET a = 2 WHERE id = 1",
            "blocking_state": "idle in transaction",
        }
    ],
    pgq.TABLES: [{"seq_scan": 4, "seq_tup_read": 4000, "n_dead_tup": 50, "n_live_tup": 950}],
    pgq.BGWRITER: [{"checkpoints_timed": 1, "buffers_alloc": 30}],
    pgq.WAL: [{"wal_records": 10, "wal_bytes": Decimal(4096), "wal_fpi": 0}],
    pgq.STATEMENTS_TOTALS: [{"calls": 77, "total_exec_time": 12.5, "rows": 80}],
    pgq.TOP_STATEMENTS: [
        {
            "digest": "-42",
            "text": "SELECT * FROM t WHERE b = $1",
            "calls": 3,
            "total_exec_time": 30.0,
            "mean_exec_time": 10.0,
            "rows": 3,
            "shared_blks_read": 1,
            "shared_blks_hit": 2,
            "temp_blks_written": 0,
            "total_plan_time": 0.5,
        }
    ],
    pgq.SETTINGS: [
        {"name": "max_connections", "setting": "100"},
        {"name": "shared_buffers", "setting": "128MB"},
    ],
}


def _responder(rows: dict[str, list[Row]], failures: dict[str, str] | None = None) -> FakeSession:
    def respond(sql: str) -> list[Row]:
        if failures and sql in failures:
            raise QueryFailed(failures[sql])
        return rows.get(sql, [])

    return FakeSession(respond=respond)


def _pg(session: FakeSession, dsn: str = "postgresql://mon:pw@db.example:5432/app") -> PostgresCollector:
    def factory(_: Dsn) -> Session:
        return session

    return PostgresCollector(parse_dsn(dsn), session_factory=factory)


def test_postgres_sample_reads_every_view_in_one_read_only_snapshot() -> None:
    session = _responder(PG_ROWS)
    coll = _pg(session)
    info = coll.connect()
    assert (info.engine, info.version, info.host, info.local) == (
        "postgres",
        "15.4",
        "db.example:5432",
        False,
    )
    sample = coll.sample(1000.0)
    assert sample.counters["pg_stat_database.xact_commit"] == 500.0
    assert sample.counters["pg_stat_database.blks_total"] == 1000.0
    assert sample.counters["pg_stat_wal.wal_bytes"] == 4096.0
    assert sample.counters["pg_stat_statements.calls"] == 77.0
    assert sample.gauges["pg_stat_database.numbackends"] == 7.0
    assert sample.gauges["pg_stat_activity.max_transaction_age"] == 3.5
    assert sample.gauges["pg_stat_activity.connections_used_pct"] == 10.0  # (9 + the collector) / 100
    assert sample.gauges["pg_locks.blocked_sessions"] == 1.0
    assert sample.gauges["pg_stat_user_tables.n_dead_tup"] == 50.0
    [wait] = sample.lock_waits
    assert (wait.time, wait.waiting_session, wait.blocking_session, wait.wait_s, wait.blocking_state) == (
        1000.0,
        "11",
        "10",
        2.5,
        "idle in transaction",
    )
    assert session.snapshots_ended == 2  # connect's checks, then the sample
    assert all(s.startswith("SELECT") for s in session.statements)
    assert coll.notes() == []


def test_postgres_top_sql_and_settings() -> None:
    coll = _pg(_responder(PG_ROWS))
    coll.connect()
    [digest] = coll.top_sql()
    assert (digest.digest, digest.calls, digest.total_time_ms, digest.plan_time_ms) == ("-42", 3, 30.0, 0.5)
    assert coll.settings() == {"max_connections": "100", "shared_buffers": "128MB"}


def test_missing_pg_stat_statements_is_said_once_and_never_queried() -> None:
    rows = {**PG_ROWS, pgq.STATEMENTS_INSTALLED: []}
    session = _responder(rows)
    coll = _pg(session)
    coll.connect()
    coll.sample(1.0)
    coll.sample(2.0)
    assert coll.top_sql() == []
    assert coll.notes() == [
        "pg_stat_statements: not collected (the pg_stat_statements extension is not installed in database 'app')"
    ]
    assert not any("pg_stat_statements\n" in s or "FROM pg_stat_statements" in s for s in session.statements)


def test_a_missing_privilege_costs_only_its_section() -> None:
    session = _responder(PG_ROWS, failures={pgq.BLOCKING: "permission denied for function pg_blocking_pids"})
    coll = _pg(session)
    coll.connect()
    first = coll.sample(1.0)
    second = coll.sample(2.0)
    assert "pg_locks.blocked_sessions" not in second.gauges
    assert second.gauges["pg_locks.waiting"] == 1.0
    assert first.counters == second.counters
    assert coll.notes() == [
        "pg_blocking_pids: not collected (permission denied for function pg_blocking_pids)"
    ]
    assert sum("pg_blocking_pids" in s for s in session.statements) == 1


def test_local_postgres_adds_host_figures_from_proc(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text("MemTotal: 4194304 kB\nMemAvailable: 1048576 kB\n")
    (proc / "stat").write_text("cpu 100 0 100 800 0 0 0 0\n")
    coll = PostgresCollector(
        parse_dsn("postgresql://mon:pw@127.0.0.1:5432/app"),
        session_factory=lambda _: _responder(PG_ROWS),
        host_probe=HostProbe(tmp_path),
    )
    info = coll.connect()
    assert (info.local, info.memory_gb) == (True, 4.0)
    coll.sample(1.0)
    (proc / "stat").write_text("cpu 160 0 120 820 0 0 0 0\n")
    gauges = coll.sample(2.0).gauges
    assert (gauges["host.cpu_user"], gauges["host.cpu_system"], gauges["host.cpu_idle"]) == (60.0, 20.0, 20.0)
    assert gauges["host.memory_used_pct"] == 75.0


def _stat(pid: int, comm: str, parent: int, user: int, system: int, reaped: int = 0) -> str:
    """A ``/proc/PID/stat`` line: state, parent, then utime and stime (and reaped children's) at 14-17."""
    return f"{pid} ({comm}) S {parent} 0 0 0 0 0 0 0 0 0 {user} {system} {reaped} 0 20 0 1 0\n"


def _processes(proc: Path, ticks: dict[int, tuple[str, int, int, int]]) -> None:
    for pid, (comm, parent, user, reaped) in ticks.items():
        (proc / str(pid)).mkdir(exist_ok=True)
        (proc / str(pid) / "comm").write_text(comm + "\n")
        (proc / str(pid) / "stat").write_text(_stat(pid, comm, parent, user, 0, reaped))


def _local_pg_answering_from_backend_201(root: Path) -> PostgresCollector:
    """A collector of a server on this machine (``root``'s fake /proc), sleuth being process 400."""
    rows = {**PG_ROWS, pgq.BACKEND_PID: [{"pid": 201}]}
    return PostgresCollector(
        parse_dsn("postgresql://mon:pw@127.0.0.1:5432/app"),
        session_factory=lambda _: _responder(rows),
        host_probe=HostProbe(root, own_pid=400),
    )


@pytest.mark.parametrize("listed", [True, False], ids=["kernel-lists-children", "children-found-by-parent"])
def test_local_postgres_splits_the_busy_cpu_between_the_server_sleuth_and_the_others(
    tmp_path: Path, listed: bool
) -> None:
    # the postmaster (100) and its backends (201 answers sleuth's session), a hog (300), sleuth (400)
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "stat").write_text("cpu 500 0 100 400 0 0 0 0\n")
    before = {
        100: ("postgres", 1, 5, 50),
        201: ("postgres", 100, 30, 0),
        202: ("postgres", 100, 40, 0),
        300: ("python3", 1, 100, 0),
        400: ("sleuth", 1, 60, 0),
    }
    _processes(proc, before)
    if listed:
        (proc / "100" / "task" / "100").mkdir(parents=True)
        (proc / "100" / "task" / "100" / "children").write_text("201 202 ")
    coll = _local_pg_answering_from_backend_201(tmp_path)
    coll.connect()
    assert "host.cpu_others" not in coll.sample(1.0).gauges
    # one second on two cores: 200 ticks, 170 busy; the server 40 (a backend that exited is in
    # the postmaster's reaped ticks), sleuth 10, the hog the other 120
    (proc / "stat").write_text("cpu 650 0 120 430 0 0 0 0\n")
    _processes(proc, {**before, 100: ("postgres", 1, 5, 60), 201: ("postgres", 100, 40, 0)})
    (proc / "202" / "stat").write_text(_stat(202, "postgres", 100, 60, 0))
    (proc / "300" / "stat").write_text(_stat(300, "python3", 1, 220, 0))
    (proc / "400" / "stat").write_text(_stat(400, "sleuth", 1, 70, 0))
    gauges = coll.sample(2.0).gauges
    assert (gauges["host.cpu_percent"], gauges["host.cpu_server"], gauges["host.cpu_others"]) == (
        85.0,
        20.0,
        60.0,
    )
    assert coll.notes() == []


def test_a_pid_that_is_no_database_server_is_not_taken_for_one(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "stat").write_text("cpu 500 0 100 400 0 0 0 0\n")
    _processes(proc, {100: ("bash", 1, 5, 0), 201: ("postgres", 100, 30, 0)})
    coll = _local_pg_answering_from_backend_201(tmp_path)
    coll.connect()
    coll.sample(1.0)
    (proc / "stat").write_text("cpu 650 0 120 430 0 0 0 0\n")
    assert "host.cpu_others" not in coll.sample(2.0).gauges
    assert coll.notes() == ["host: process 100 is not a database server here; its CPU is not split out"]


MY_STATUS: list[Row] = [
    {"Variable_name": "Threads_connected", "Value": "30"},
    {"Variable_name": "Threads_running", "Value": "4"},
    {"Variable_name": "Innodb_row_lock_waits", "Value": "12"},
    {"Variable_name": "Innodb_row_lock_current_waits", "Value": "2"},
    {"Variable_name": "Com_select", "Value": "1000"},
    {"Variable_name": "Rpl_status", "Value": "AUTH_MASTER"},
]


def _my(
    version: str, rows: dict[str, list[Row]], failures: dict[str, str] | None = None
) -> tuple[MySqlCollector, FakeSession]:
    session = _responder(rows, failures)
    session.version = version
    coll = MySqlCollector(parse_dsn("mysql://mon:pw@db.example:3306/"), session_factory=lambda _: session)
    return coll, session


def test_mysql_status_splits_counters_from_gauges_and_degrades_per_section() -> None:
    rows = {
        myq.PERFORMANCE_SCHEMA_ON: [{"Variable_name": "performance_schema", "Value": "OFF"}],
        myq.STATUS: MY_STATUS,
        "SHOW GLOBAL VARIABLES LIKE 'max_connections'": [
            {"Variable_name": "max_connections", "Value": "150"}
        ],
        myq.PROCESSLIST: [{"total": 29, "active": 3, "sleeping": 26, "max_query_age": 4}],
    }
    coll, session = _my(
        "10.11.6-MariaDB",
        rows,
        failures={
            myq.TRANSACTIONS: "Access denied; you need (at least one of) the PROCESS privilege(s) (error 1227)"
        },
    )
    info = coll.connect()
    assert info.engine == "mariadb"
    sample = coll.sample(5.0)
    assert sample.counters == {"Innodb_row_lock_waits": 12.0, "Com_select": 1000.0}
    assert sample.gauges["Threads_running"] == 4.0
    assert sample.gauges["Innodb_row_lock_current_waits"] == 2.0
    assert sample.gauges["processlist.connections_used_pct"] == 20.0
    assert sample.gauges["processlist.active"] == 3.0
    assert sample.gauges["sys.innodb_lock_waits.count"] == 0.0
    assert coll.top_sql() == []
    assert coll.table_readings() == []
    assert coll.notes() == [
        "statement digests: not collected (performance_schema is disabled on this server)",
        "table statistics: not collected (performance_schema is disabled on this server)",
        "innodb transactions: not collected (Access denied; you need (at least one of) the PROCESS "
        "privilege(s) (error 1227))",
    ]
    assert " ".join(myq.LOCK_WAITS_MARIADB.split()) in session.statements
    assert all(s.startswith(("SELECT", "SHOW")) for s in session.statements)


def test_mysql8_reads_lock_waits_from_performance_schema_and_digests() -> None:
    rows = {
        myq.PERFORMANCE_SCHEMA_ON: [{"Variable_name": "performance_schema", "Value": "ON"}],
        myq.STATUS: MY_STATUS,
        myq.TOP_STATEMENTS: [
            {
                "digest": "abc",
                "text": "SELECT * FROM `t` WHERE `b` = ?",
                "calls": 9,
                "total_ms": Decimal("90.0"),
                "mean_ms": Decimal("10.0"),
                "rows_examined": 90000,
                "rows_sent": 9,
                "rows_affected": 0,
                "temp_disk_tables": 0,
                "no_index_used": 9,
            }
        ],
    }
    coll, session = _my("8.0.36", rows)
    assert coll.connect().engine == "mysql"
    coll.sample(1.0)
    [digest] = coll.top_sql()
    assert (digest.calls, digest.rows_examined, digest.no_index_used, digest.total_time_ms) == (
        9,
        90000,
        9,
        90.0,
    )
    assert " ".join(myq.LOCK_WAITS_MYSQL8.split()) in session.statements
    assert coll.notes() == []


def test_host_disk_counters_sum_whole_devices_only(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "diskstats").write_text(
        "   8       0 sda 100 0 800 0 50 0 400 0 0 0 0\n"
        "   8       1 sda1 90 0 700 0 40 0 300 0 0 0 0\n"
        " 259       0 nvme0n1 10 0 80 0 5 0 40 0 0 0 0\n"
        " 259       1 nvme0n1p1 9 0 70 0 4 0 30 0 0 0 0\n"
        "   7       0 loop0 1000 0 8000 0 0 0 0 0 0 0 0\n"
    )
    counters = HostProbe(tmp_path).read().counters
    assert counters == {
        "host.read_iops": 110.0,
        "host.write_iops": 55.0,
        "host.disk_read_sectors": 880.0,
        "host.disk_write_sectors": 440.0,
    }
