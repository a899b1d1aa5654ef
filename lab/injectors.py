"""Known anomalies, injected into the lab servers by real sessions (psycopg / PyMySQL).

Each anomaly runs worker threads until ``stop()`` or its own deadline, so a
failing test can never leave load running; a steady background workload runs
beside it so the baseline is a working server, not an idle one.

Run one by hand: ``python -m lab.injectors lock_contention --dsn DSN --seconds 20``.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pymysql

from lab.db import connect, lab_dsn, run
from lab.schema import BIG_ROWS, CHURN_ROWS, ensure_schema
from sources.live.dsn import Dsn

# No injector runs longer than this, whatever the caller forgets.
MAX_SECONDS = 120.0

Worker = Callable[[Any, threading.Event], None]


@dataclass
class Injector:
    """Worker threads, each with its own connection, running until stopped or out of time."""

    dsn: Dsn
    name: str
    workers: list[Worker]
    max_seconds: float = MAX_SECONDS
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started_at: float | None = None
    # Workers that open (and retry) their own connections: they get None instead of a connection.
    self_connecting: list[Worker] = field(default_factory=list)
    _timer: threading.Timer | None = None

    def start(self) -> float:
        """Start the workers; returns the wall-clock start time (the anomaly window's start)."""
        self.started_at = time.time()
        for i, work in enumerate(self.workers):
            t = threading.Thread(target=self._run, args=(work,), name=f"{self.name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._timer = threading.Timer(self.max_seconds, self._stop.set)
        self._timer.daemon = True
        self._timer.start()
        return self.started_at

    def _run(self, work: Worker) -> None:
        conn: Any = None
        try:
            if not any(work is own for own in self.self_connecting):
                conn = connect(self.dsn)
            work(conn, self._stop)
        except Exception as exc:  # a worker's failure is reported by stop(), never raised in a thread
            if not self._stop.is_set():
                self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.cancel()
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Injector:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _pace(stop: threading.Event, seconds: float) -> bool:
    """Sleep unless stopped; False once stopped."""
    return not stop.wait(seconds)


# -- the steady background workload ------------------------------------------------------------
def _oltp(conn: Any, stop: threading.Event) -> None:
    rnd = random.Random(7)
    while _pace(stop, 0.02):
        run(conn, "SELECT payload FROM lab_big WHERE id = %s", (rnd.randint(1, BIG_ROWS),))
        run(conn, "UPDATE lab_accounts SET balance = balance + 1 WHERE id = %s", (rnd.randint(1, 100),))


def background(dsn: Dsn) -> Injector:
    return Injector(dsn, "background", [_oltp, _oltp])


# -- the anomalies -------------------------------------------------------------------------------
def _hot_row_updater(family: str) -> Worker:
    begin = "BEGIN" if family == "postgres" else "START TRANSACTION"
    # Slow work inside the transaction, not an idle client: the lock holder stays active.
    work_sql = "SELECT pg_sleep(0.25)" if family == "postgres" else "SELECT SLEEP(0.25)"

    def work(conn: Any, stop: threading.Event) -> None:
        while not stop.is_set():
            run(conn, begin)
            try:
                run(conn, "UPDATE lab_accounts SET balance = balance - 1 WHERE id = 1")
                run(conn, work_sql)
                run(conn, "UPDATE lab_accounts SET balance = balance + 1 WHERE id = 2")
            finally:
                run(conn, "COMMIT")

    return work


def lock_contention(dsn: Dsn) -> Injector:
    """Many sessions updating the same rows and holding the locks: a queue of lock waits."""
    return Injector(dsn, "lock_contention", [_hot_row_updater(dsn.family) for _ in range(8)])


def _unindexed_lookup(conn: Any, stop: threading.Event) -> None:
    rnd = random.Random(11)
    while not stop.is_set():
        run(conn, "SELECT count(*) FROM lab_big WHERE customer = %s", (rnd.randint(0, 4999),))


def missing_index(dsn: Dsn) -> Injector:
    """A frequent lookup on a column with no index: every call scans the whole large table."""
    return Injector(dsn, "missing_index", [_unindexed_lookup for _ in range(2)])


def _idle_holder(family: str) -> Worker:
    def work(conn: Any, stop: threading.Event) -> None:
        if family == "postgres":
            run(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ")
            run(conn, "SELECT txid_current(), count(*) FROM lab_churn")
        else:
            run(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT")
            run(conn, "SELECT count(*) FROM lab_churn")
        stop.wait(MAX_SECONDS)  # idle, transaction open: vacuum/purge cannot pass its snapshot
        run(conn, "ROLLBACK")

    return work


def _churner(offset: int) -> Worker:
    def work(conn: Any, stop: threading.Event) -> None:
        rnd = random.Random(offset)
        while _pace(stop, 0.01):
            lo = rnd.randint(1, CHURN_ROWS - 200)
            run(conn, "UPDATE lab_churn SET counter = counter + 1 WHERE id BETWEEN %s AND %s", (lo, lo + 200))

    return work


def idle_in_transaction(dsn: Dsn) -> Injector:
    """A session left idle in an open transaction while others update heavily: dead rows pile up."""
    return Injector(dsn, "idle_in_transaction", [_idle_holder(dsn.family), _churner(1), _churner(2)])


def _refusable_client(dsn: Dsn, hold: tuple[float, float] | None) -> Worker:
    """A client without a pool: connect, one query, hold the session (for good when ``hold`` is None), drop.

    Refused at the limit ("too many connections"), it retries at once, as a storm's clients do;
    a refusal is the anomaly, not an injector failure.
    """

    def work(_: Any, stop: threading.Event) -> None:
        rnd = random.Random()
        while not stop.is_set():
            try:
                conn = connect(dsn)
            except (psycopg.OperationalError, pymysql.err.OperationalError):
                stop.wait(0.1)
                continue
            try:
                run(conn, "SELECT 1")
                stop.wait(MAX_SECONDS if hold is None else rnd.uniform(*hold))
            finally:
                conn.close()

    return work


def connection_storm(dsn: Dsn, holding: int = 48, reconnecting: int = 10) -> Injector:
    """Clients pile up to max_connections (60 in the lab): most hold their session, the rest reconnect."""
    clients = [_refusable_client(dsn, None) for _ in range(holding)]
    clients += [_refusable_client(dsn, (0.2, 0.6)) for _ in range(reconnecting)]
    return Injector(dsn, "connection_storm", clients, self_connecting=clients)


def _cpu_burner(family: str) -> Worker:
    sql = (
        # generate_series in the select list streams (ProjectSet); in FROM it would spill to temp files.
        "SELECT sum(sqrt(g) * ln(g + 1)) FROM (SELECT generate_series(1, 2000000)::float8 AS g) AS s"
        if family == "postgres"
        else "SELECT BENCHMARK(3000000, SQRT(RAND()) * LN(RAND() + 1))"
    )

    def work(conn: Any, stop: threading.Event) -> None:
        while not stop.is_set():
            run(conn, sql)

    return work


def cpu_heavy(dsn: Dsn) -> Injector:
    """Compute-bound queries on every core: the server's CPU, not its IO or locks, is the limit."""
    return Injector(dsn, "cpu_heavy", [_cpu_burner(dsn.family) for _ in range(3)])


def _bulk_loader(family: str) -> Worker:
    sql = (
        "INSERT INTO lab_bulk (payload) SELECT md5(g::text) FROM generate_series(1, 20000) AS g"
        if family == "postgres"
        else "INSERT INTO lab_bulk (payload) SELECT md5(seq) FROM seq_1_to_20000"
    )

    def work(conn: Any, stop: threading.Event) -> None:
        while _pace(stop, 0.05):
            run(conn, sql)

    return work


def large_inserts(dsn: Dsn) -> Injector:
    """Repeated bulk INSERT ... SELECT of 20 000 rows: insert rate and WAL/redo volume jump."""
    return Injector(dsn, "large_inserts", [_bulk_loader(dsn.family) for _ in range(2)])


ANOMALIES: dict[str, Callable[[Dsn], Injector]] = {
    "lock_contention": lock_contention,
    "missing_index": missing_index,
    "idle_in_transaction": idle_in_transaction,
    "connection_storm": connection_storm,
    "cpu_heavy": cpu_heavy,
    "large_inserts": large_inserts,
}


def prepare(dsn: Dsn) -> None:
    """Create the lab tables and empty the bulk table, so every run starts from the same state."""
    conn = connect(dsn)
    try:
        ensure_schema(conn, dsn.family)
        run(conn, "TRUNCATE lab_bulk" if dsn.family == "postgres" else "TRUNCATE TABLE lab_bulk")
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.injectors", description=__doc__)
    parser.add_argument("anomaly", choices=sorted(ANOMALIES))
    parser.add_argument(
        "--dsn", required=True, help="a loopback lab DSN with write rights (SLEUTH_*_ADMIN_DSN)"
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    dsn = lab_dsn(args.dsn)
    prepare(dsn)
    with ANOMALIES[args.anomaly](dsn) as injector:
        time.sleep(min(args.seconds, MAX_SECONDS))
    for error in injector.errors:
        print(f"worker error: {dsn.redact(error)}")
    return 1 if injector.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
