"""On real servers: a statement still running is part of the statement load, under the digest it ends under.

pg_stat_statements and performance_schema count an execution when it ends. A
session that has been running one for a second has spent that second on it,
and the collector says so at the sample, under the key the server will count
it by (PostgreSQL's queryid; on MariaDB, the digest whose text is the same
statement): when the execution ends, its time is not counted twice, and it is
one statement, not two. EXPLAIN reads a statement while it runs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pymysql
import pytest

from lab.db import connect, lab_dsn, run
from lab.env import Lab
from models import StatementActivity
from sources.live import parse_dsn
from sources.live.sample import Collector, Sample
from sources.live.sampler import open_collector
from sources.live.workload import statement_activity

pytestmark = pytest.mark.live

ENGINES = ("postgres", "mariadb")
SLEEP_S = 2.5
# The time between the client sending a statement and the server starting it, at most (loopback).
START_SLACK_MS = 150.0
# The server times an execution with its own clock, the test with the client's.
CLOCKS_MS = 10.0


def _dsns(lab: Lab, engine: str) -> tuple[str, str]:
    return (lab.pg, lab.pg_admin) if engine == "postgres" else (lab.mysql, lab.mysql_admin)


@dataclass
class _Run:
    """One statement run by a lab session in a thread: when it was sent and when it returned."""

    session: int = 0
    sent: float = 0.0
    done: float = 0.0
    error: str | None = None


@contextmanager
def _running(admin: str, setup: list[str], sql: str) -> Iterator[_Run]:
    """``sql`` running on a session of its own (``setup`` first) while the block samples."""
    conn = connect(lab_dsn(admin))
    state = _Run(session=conn.info.backend_pid if isinstance(conn, psycopg.Connection) else conn.thread_id())
    ready = threading.Event()

    def work() -> None:
        try:
            for statement in setup:
                run(conn, statement)
            state.sent = time.time()
            ready.set()
            run(conn, sql)
        except (psycopg.Error, pymysql.err.MySQLError) as exc:
            state.error = str(exc)
        finally:
            state.done = time.time()
            ready.set()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield state
    finally:
        thread.join(30)
        conn.close()


def _timed(collector: Collector) -> tuple[Sample, float, float]:
    before = time.time()
    sample = collector.sample(before)
    return sample, before, time.time()


def _admin(admin: str, sql: str) -> list[str]:
    conn = connect(lab_dsn(admin))
    try:
        return sorted({str(row[0]) for row in run(conn, sql)})
    finally:
        conn.close()


def _running_key(admin: str, engine: str, ran: _Run, tag: str) -> str | None:
    """PostgreSQL's key of the statement a session is running (pg_stat_statements' queryid); MariaDB
    gives none to a running statement."""
    if engine != "postgres":
        return None
    sql = (
        f"SELECT query_id::text FROM pg_stat_activity WHERE pid = {ran.session} AND state = 'active' "
        f"AND query LIKE '%{tag}%' AND query_id IS NOT NULL"
    )
    deadline = time.monotonic() + 5
    while not (found := _admin(admin, sql)) and time.monotonic() < deadline:
        time.sleep(0.05)
    (key,) = found
    return key


def _find(activity: list[StatementActivity], key: str | None, tag: str) -> list[StatementActivity]:
    """The statement by its key where the server gave one while it ran, else by its text (the tag in
    it makes it a statement MariaDB has not counted before; pg_stat_statements ignores aliases)."""
    return [a for a in activity if (a.digest == key if key is not None else tag in a.text)]


def _server_key(admin: str, engine: str, tag: str, key: str | None) -> list[str]:
    """The key the server counted the ended statement under."""
    return _admin(
        admin,
        f"SELECT DISTINCT queryid::text FROM pg_stat_statements WHERE queryid::text = '{key}' AND calls > 0"
        if engine == "postgres"
        else "SELECT DIGEST FROM performance_schema.events_statements_summary_by_digest "
        f"WHERE DIGEST_TEXT LIKE '%{tag}%'",
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_running_statement_counts_while_it_runs_and_once_when_it_ends(lab: Lab, engine: str) -> None:
    monitor, admin = _dsns(lab, engine)
    tag = f"inflight_{uuid.uuid4().hex[:12]}"  # a statement no server has counted before
    sleep = "pg_sleep" if engine == "postgres" else "SLEEP"
    collector = open_collector(parse_dsn(monitor))
    collector.connect()
    try:
        samples = [collector.sample(time.time())]
        with _running(admin, [], f"SELECT {sleep}({SLEEP_S}) AS {tag}") as ran:
            key = _running_key(admin, engine, ran, tag)
            time.sleep(1.0)
            first, first_from, first_to = _timed(collector)
            time.sleep(0.8)
            second, second_from, second_to = _timed(collector)
            samples += [first, second]
        assert ran.error is None
        assert ran.done - ran.sent >= SLEEP_S  # it was still running at both samples
        samples.append(collector.sample(time.time()))
    finally:
        collector.close()

    # While it ran: one statement, one call, the time it had run at each sample, in the intervals it ran in.
    (running,) = _find(statement_activity(samples[:3]), key, tag)
    assert running.total.calls == 1
    assert running.series.calls == [1.0, 0.0]
    at_first, at_second = running.series.time_ms
    assert (first_from - ran.sent) * 1000 - START_SLACK_MS <= at_first <= (first_to - ran.sent) * 1000
    assert (second_from - first_to) * 1000 - 1 <= at_second <= (second_to - first_from) * 1000 + 1

    # Ended: still one statement, now under the server's own key, its time counted once.
    (ended,) = _find(statement_activity(samples), key, tag)
    assert [ended.digest] == _server_key(admin, engine, tag, key)
    assert ended.total.calls == 1
    assert SLEEP_S * 1000 <= ended.total.total_time_ms <= (ran.done - ran.sent) * 1000 + CLOCKS_MS
    assert ended.series.time_ms[:2] == [at_first, at_second]
    assert sum(ended.series.time_ms) == pytest.approx(ended.total.total_time_ms, abs=0.01)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_statement_is_explained_while_it_runs(lab: Lab, engine: str) -> None:
    monitor, admin = _dsns(lab, engine)
    tag = f"inflight_{uuid.uuid4().hex[:12]}"
    if engine == "postgres":
        setup = ["SET statement_timeout = '8s'"]
        sql = f"SELECT count(*) AS {tag} FROM generate_series(1, 2000000000) AS g"
        relation = None
        node = "Function Scan"
    else:
        setup = ["SET SESSION max_statement_time = 8"]
        sql = f"SELECT sum(seq % 7) AS {tag} FROM seq_1_to_2000000000"
        relation = f"{lab_dsn(admin).database}.seq_1_to_2000000000"
        node = "Index Only Scan"  # the sequence engine's full read is an index scan
    collector = open_collector(parse_dsn(monitor))
    collector.connect()
    try:
        samples = [collector.sample(time.time())]
        with _running(admin, setup, sql) as ran:
            key = _running_key(admin, engine, ran, tag)
            time.sleep(1.0)
            samples.append(collector.sample(time.time()))
            (running,) = _find(statement_activity(samples), key, tag)
            plans = collector.plans([running])
            still_running = time.time() < ran.sent + 8 and ran.done == 0.0
        notes = collector.notes()
    finally:
        collector.close()
    assert still_running
    assert ran.error is not None  # stopped by its own timeout: it never ended for the server's counters
    assert running.total.calls == 1
    assert [p.digest for p in plans] == [running.digest]
    assert node in [n.node_type for n in plans[0].nodes]
    if relation is not None:
        assert relation in [n.relation for n in plans[0].nodes]
    assert [n for n in notes if "plans" in n or "in flight" in n] == []
