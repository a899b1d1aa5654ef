"""Regenerate the hand-made RDS PostgreSQL example incidents (deterministic: fixed seeds).

Run from the repo root: ``.venv/bin/python examples/make_examples.py``. The
numbers follow what these anomalies do on a db.r6g.large: they are illustrations
for people to open right away, not recordings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from models import Event, Incident, Instance, LockWait, LogExcerpt, MetricSeries, SqlDigest, TimeWindow
from sources.incident_files import write_incident

OUT = Path(__file__).parent / "incidents"
T0 = 1_763_900_000.0  # a fixed epoch so files do not change between runs
STEP = 10.0
N = 90  # 15 minutes at 10 s
W0, W1 = 45, 74  # anomaly rows


def _series(
    name: str, unit: str, base: float, noise: float, anomaly: Callable[[int], float], rng: np.random.Generator
) -> MetricSeries:
    values = []
    for i in range(N):
        v = base + rng.normal(0, noise)
        if W0 <= i <= W1:
            v = anomaly(i) + rng.normal(0, noise)
        values.append(float(f"{max(v, 0.0):.4g}"))
    return MetricSeries(name=name, unit=unit, timestamps=[T0 + i * STEP for i in range(N)], values=values)


def _flat(name: str, unit: str, base: float, noise: float, rng: np.random.Generator) -> MetricSeries:
    return _series(name, unit, base, noise, lambda i: base, rng)


def _instance() -> Instance:
    return Instance(
        engine="postgres",
        version="15.4",
        instance_class="db.r6g.large",
        vcpu=2,
        memory_gb=16,
        storage_type="gp3",
        provisioned_iops=3000,
        host="orders-db.example.internal",
    )


def lock_contention() -> Incident:
    rng = np.random.default_rng(7)
    win = TimeWindow(start=T0 + W0 * STEP, end=T0 + W1 * STEP)
    return Incident(
        id="rds-pg-lock-contention",
        title="orders-db: checkout latency x20 while a batch job idles in a transaction holding row locks",
        instance=_instance(),
        window=win,
        metrics=[
            _series("CommitLatency", "ms", 2.0, 0.2, lambda i: 40.0, rng),
            _series("pg_stat_activity.waiting_lock", "count", 0.0, 0.2, lambda i: 35.0, rng),
            _series("pg_locks.waiting", "count", 0.5, 0.3, lambda i: 42.0, rng),
            _series("DatabaseConnections", "count", 60.0, 2.0, lambda i: 95.0, rng),
            _series("pg_stat_database.xact_commit", "1/s", 900.0, 30.0, lambda i: 180.0, rng),
            _series("pg_stat_database.deadlocks", "1/s", 0.0, 0.01, lambda i: 0.3, rng),
            _flat("CPUUtilization", "percent", 28.0, 2.0, rng),
            _flat("ReadIOPS", "1/s", 300.0, 15.0, rng),
            _flat("WriteIOPS", "1/s", 450.0, 20.0, rng),
            _flat("FreeableMemory", "bytes", 6.2e9, 2e7, rng),
        ],
        events=[
            Event(time=T0 + (W0 - 1) * STEP, kind="deploy", description="nightly-reconcile job v2.3 started"),
        ],
        top_sql=[
            SqlDigest(
                digest="a1f3",
                text="UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2",
                calls=5400,
                total_time_ms=2_700_000,
                mean_time_ms=500,
                rows_affected=5400,
            ),
            SqlDigest(
                digest="9bc0",
                text="SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2",
                calls=42000,
                total_time_ms=84_000,
                mean_time_ms=2,
                rows_examined=420000,
                rows_sent=420000,
            ),
        ],
        lock_waits=[
            LockWait(
                time=T0 + (W0 + 5) * STEP,
                waiting_session=str(4100 + k),
                blocking_session="3977",
                lock_type="transactionid",
                object="inventory",
                wait_s=30.0 + k,
                waiting_query="UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2",
                blocking_query="UPDATE inventory SET reserved = 0 WHERE warehouse = $1",
                blocking_state="idle in transaction",
            )
            for k in range(6)
        ],
        logs=[
            LogExcerpt(
                time=T0 + (W0 + 3) * STEP,
                level="LOG",
                message="process 4101 still waiting for ShareLock on transaction 88123 after 1000.052 ms",
            ),
            LogExcerpt(time=T0 + (W0 + 9) * STEP, level="ERROR", message="deadlock detected"),
        ],
        settings={"deadlock_timeout": "1s", "lock_timeout": "0", "idle_in_transaction_session_timeout": "0"},
        labels=["lock_contention", "idle_in_transaction"],
        source="hand-made example",
    )


def missing_index() -> Incident:
    rng = np.random.default_rng(11)
    win = TimeWindow(start=T0 + W0 * STEP, end=T0 + W1 * STEP)
    return Incident(
        id="rds-pg-missing-index",
        title="orders-db: CPU and reads climb after a release adds a filter on an unindexed column",
        instance=_instance(),
        window=win,
        metrics=[
            _series("CPUUtilization", "percent", 25.0, 2.0, lambda i: 92.0, rng),
            _series("ReadIOPS", "1/s", 250.0, 20.0, lambda i: 2600.0, rng),
            _series("ReadLatency", "s", 0.0008, 0.00005, lambda i: 0.0045, rng),
            _series("DiskQueueDepth", "count", 0.5, 0.1, lambda i: 9.0, rng),
            _series("pg_stat_user_tables.seq_scan", "1/s", 0.2, 0.05, lambda i: 30.0, rng),
            _series("pg_stat_user_tables.seq_tup_read", "rows/s", 2e3, 300.0, lambda i: 1.5e8, rng),
            _series("pg_stat_user_tables.idx_scan", "1/s", 800.0, 30.0, lambda i: 780.0, rng),
            _series("pg_stat_database.blks_read", "blocks/s", 400.0, 40.0, lambda i: 21000.0, rng),
            _series("CommitLatency", "ms", 2.0, 0.2, lambda i: 6.0, rng),
            _flat("pg_stat_activity.waiting_lock", "count", 0.0, 0.2, rng),
            _flat("DatabaseConnections", "count", 60.0, 2.0, rng),
            _flat("WriteIOPS", "1/s", 450.0, 20.0, rng),
        ],
        events=[Event(time=T0 + (W0 - 2) * STEP, kind="deploy", description="web release 2026.11.3")],
        top_sql=[
            SqlDigest(
                digest="77de",
                text="SELECT id, total FROM orders WHERE coupon_code = $1",
                calls=9000,
                total_time_ms=8_100_000,
                mean_time_ms=900,
                rows_examined=9000 * 4_000_000,
                rows_sent=9000 * 2,
                shared_blks_read=9000 * 30_000,
                shared_blks_hit=9000 * 10_000,
            ),
            SqlDigest(
                digest="9bc0",
                text="SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2",
                calls=42000,
                total_time_ms=84_000,
                mean_time_ms=2,
                rows_examined=420000,
                rows_sent=420000,
            ),
        ],
        settings={"random_page_cost": "4", "work_mem": "4MB"},
        labels=["missing_index"],
        source="hand-made example",
    )


def vacuum_blocked() -> Incident:
    rng = np.random.default_rng(13)
    win = TimeWindow(start=T0 + W0 * STEP, end=T0 + W1 * STEP)
    return Incident(
        id="rds-pg-idle-in-transaction",
        title="orders-db: an idle-in-transaction session keeps vacuum from removing dead tuples",
        instance=_instance(),
        window=win,
        metrics=[
            _series(
                "pg_stat_user_tables.n_dead_tup", "rows", 4e4, 3e3, lambda i: 4e4 + (i - W0) * 2.5e5, rng
            ),
            _series("pg_stat_activity.idle_in_transaction", "count", 0.0, 0.1, lambda i: 1.0, rng),
            _series(
                "pg_stat_activity.max_transaction_age",
                "s",
                2.0,
                0.5,
                lambda i: 10.0 * (i - W0 + 1) * STEP,
                rng,
            ),
            _series("pg_stat_database.tup_updated", "rows/s", 3000.0, 100.0, lambda i: 3100.0, rng),
            _series("CommitLatency", "ms", 2.0, 0.2, lambda i: 3.5, rng),
            _series("ReadIOPS", "1/s", 300.0, 15.0, lambda i: 520.0, rng),
            _flat("CPUUtilization", "percent", 30.0, 2.0, rng),
            _flat("DatabaseConnections", "count", 60.0, 2.0, rng),
        ],
        logs=[
            LogExcerpt(
                time=T0 + (W0 + 10) * STEP,
                level="LOG",
                message='automatic vacuum of table "orders.public.cart_items": index scans: 0; '
                "tuples: 0 removed, 2500000 remain, 2490000 are dead but not yet removable",
            )
        ],
        settings={"idle_in_transaction_session_timeout": "0", "autovacuum": "on"},
        labels=["idle_in_transaction", "dead_tuples_vacuum"],
        source="hand-made example",
    )


def memory_pressure() -> Incident:
    """No shipped rule covers this one on purpose: the demo shows the planner taking over."""
    rng = np.random.default_rng(17)
    win = TimeWindow(start=T0 + W0 * STEP, end=T0 + W1 * STEP)
    inst = _instance().model_copy(update={"instance_class": "db.t4g.medium", "memory_gb": 4.0})
    return Incident(
        id="rds-pg-memory-pressure",
        title="reports-db: reads triple and commits slow down after a reporting job starts",
        instance=inst,
        window=win,
        metrics=[
            _series("FreeableMemory", "bytes", 1.6e9, 2e7, lambda i: 2.1e8, rng),
            _series("ReadIOPS", "1/s", 300.0, 15.0, lambda i: 950.0, rng),
            _series("pg_stat_database.blks_read", "blocks/s", 400.0, 40.0, lambda i: 1300.0, rng),
            _series("CommitLatency", "ms", 2.0, 0.2, lambda i: 4.5, rng),
            _flat("CPUUtilization", "percent", 35.0, 2.0, rng),
            _flat("DiskQueueDepth", "count", 0.6, 0.1, rng),
            _flat("DatabaseConnections", "count", 40.0, 2.0, rng),
            _flat("WriteIOPS", "1/s", 200.0, 10.0, rng),
        ],
        events=[Event(time=T0 + (W0 - 1) * STEP, kind="other", description="monthly reporting job started")],
        settings={"shared_buffers": "1GB", "work_mem": "64MB", "max_connections": "200"},
        labels=["memory_contention"],
        source="hand-made example",
    )


def main() -> None:
    for make in (lock_contention, missing_index, vacuum_blocked, memory_pressure):
        incident = make()
        path = write_incident(incident, OUT / f"{incident.id}.json")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
