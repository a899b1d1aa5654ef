"""Known anomalies, injected into the lab servers by real sessions (psycopg / PyMySQL).

Each anomaly runs worker threads until ``stop()`` or its own deadline, so a
failing test can never leave load running; a steady background workload runs
beside it so the baseline is a working server, not an idle one.

Run one by hand: ``python -m lab.injectors lock_contention --dsn DSN --seconds 20``.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pymysql

from lab import statements
from lab.db import connect, lab_dsn, run
from lab.injector import MAX_SECONDS, Injector, Worker, pace
from lab.schema import BIG_ROWS, CHURN_ROWS, ensure_schema
from sources.live.dsn import Dsn


# -- the steady background workload ------------------------------------------------------------
def _oltp(seed: int) -> Worker:
    """One client of the steady workload. Each client draws its own keys: two that replayed one
    sequence at the same pace would update the same row at the same moment whenever their
    phases met, and the lab's steady state would have bursts of lock waits."""

    def work(conn: Any, stop: threading.Event) -> None:
        rnd = random.Random(seed)
        while pace(stop, 0.02):
            run(conn, "SELECT payload FROM lab_big WHERE id = %s", (rnd.randint(1, BIG_ROWS),))
            run(conn, "UPDATE lab_accounts SET balance = balance + 1 WHERE id = %s", (rnd.randint(1, 100),))

    return work


def background(dsn: Dsn, max_seconds: float = MAX_SECONDS) -> Injector:
    """The steady workload; a watcher's soak test runs it longer than an anomaly may last."""
    return Injector(dsn, "background", [_oltp(7), _oltp(8)], max_seconds=max_seconds)


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
        while pace(stop, 0.01):
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
        while pace(stop, 0.05):
            run(conn, sql)

    return work


def large_inserts(dsn: Dsn) -> Injector:
    """Repeated bulk INSERT ... SELECT of 20 000 rows: insert rate and WAL/redo volume jump."""
    return Injector(dsn, "large_inserts", [_bulk_loader(dsn.family) for _ in range(2)])


Factory = Callable[[Dsn, random.Random], Injector]


def _fixed(factory: Callable[[Dsn], Injector]) -> Factory:
    """An anomaly whose parameters are not drawn per run."""

    def make(dsn: Dsn, _rng: random.Random) -> Injector:
        return factory(dsn)

    return make


@dataclass(frozen=True)
class Anomaly:
    """An injectable anomaly, the engines it exists on, and the table a diagnosis should name."""

    make: Factory
    engines: frozenset[str] = frozenset({"postgres", "mysql"})
    table: str | None = None


ANOMALIES: dict[str, Anomaly] = {
    "lock_contention": Anomaly(_fixed(lock_contention), table="lab_accounts"),
    "missing_index": Anomaly(_fixed(missing_index), table="lab_big"),
    "idle_in_transaction": Anomaly(_fixed(idle_in_transaction)),
    "connection_storm": Anomaly(_fixed(connection_storm)),
    "cpu_heavy": Anomaly(_fixed(cpu_heavy)),
    "large_inserts": Anomaly(_fixed(large_inserts), table="lab_bulk"),
    # Dead tuples and autovacuum are PostgreSQL's: InnoDB purges old versions itself.
    "dead_tuples": Anomaly(statements.dead_tuples, engines=frozenset({"postgres"}), table="lab_dead"),
    "redundant_indexes": Anomaly(statements.redundant_indexes, table="lab_wide"),
    "large_fetches": Anomaly(statements.large_fetches, table="lab_fetch"),
    "correlated_subquery": Anomaly(statements.correlated_subquery, table="lab_orders"),
    "poor_join": Anomaly(statements.poor_join, table="lab_ja"),
    "large_updates_deletes": Anomaly(statements.large_updates_deletes, table="lab_upd"),
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
    parser.add_argument(
        "--seed", type=int, default=None, help="draws the anomaly's parameters (default: random)"
    )
    args = parser.parse_args(argv)
    dsn = lab_dsn(args.dsn)
    prepare(dsn)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    with ANOMALIES[args.anomaly].make(dsn, random.Random(seed)) as injector:
        print(f"seed {seed}: {injector.params}")
        time.sleep(min(args.seconds, MAX_SECONDS))
    for error in injector.errors:
        print(f"worker error: {dsn.redact(error)}")
    return 1 if injector.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
