"""Anomalies a statement's shape or a table's state causes, after D-Bot's trigger scripts.

Each factory builds its own table, then returns the injector that loads it.
Sizes, column counts, thread counts and query shapes are drawn from ranges by
the caller's seeded ``random.Random`` and recorded in ``Injector.params``, so
no rule can be fitted to one setting and a failing run can be replayed.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from lab.db import connect, run
from lab.injector import Injector, Worker, pace
from sources.live.dsn import Dsn


def _pg(dsn: Dsn) -> bool:
    return dsn.family == "postgres"


def _series(dsn: Dsn, n: int) -> str:
    """A FROM clause yielding ``g`` = 1..n on either engine."""
    return f"generate_series(1, {n}) AS s(g)" if _pg(dsn) else f"(SELECT seq AS g FROM seq_1_to_{n}) AS s"


def _md5(dsn: Dsn, expr: str) -> str:
    return f"md5(({expr})::text)" if _pg(dsn) else f"md5({expr})"


def _build(dsn: Dsn, tables: dict[str, str], *statements: str) -> None:
    """Recreate the anomaly's tables (name -> column list) and fill them, on a connection of its own."""
    conn = connect(dsn)
    try:
        for table, columns in tables.items():
            run(conn, f"DROP TABLE IF EXISTS {table}")
            run(conn, f"CREATE TABLE {table} ({columns})" + ("" if _pg(dsn) else " ENGINE=InnoDB"))
        for sql in statements:
            run(conn, sql)
    finally:
        conn.close()


def _analyze(dsn: Dsn, table: str) -> str:
    return f"ANALYZE {table}" if _pg(dsn) else f"ANALYZE TABLE {table}"


def _loop(sql: str, params: Any = None, pause_s: float = 0.0) -> Worker:
    def work(conn: Any, stop: threading.Event) -> None:
        while pace(stop, pause_s):
            run(conn, sql, params() if callable(params) else params)

    return work


# -- dead tuples, vacuum behind (PostgreSQL) ------------------------------------------------------
def dead_tuples(dsn: Dsn, rng: random.Random) -> Injector:
    """Most of a table deleted with autovacuum off for it, then scanned by statements no index can serve."""
    rows = rng.randint(80_000, 200_000)
    deleted = rng.uniform(0.6, 0.9)
    threads = rng.randint(2, 3)
    shape = rng.choice(["count", "modulo", "like"])
    _build(
        dsn,
        {"lab_dead": "id int PRIMARY KEY, v int NOT NULL, note text"},
        "ALTER TABLE lab_dead SET (autovacuum_enabled = false)",
        f"INSERT INTO lab_dead SELECT g, g % 997, {_md5(dsn, 'g')} FROM {_series(dsn, rows)}",
        f"DELETE FROM lab_dead WHERE id <= {int(rows * deleted)}",
    )
    sql, args = {
        "count": ("SELECT count(*) FROM lab_dead", None),
        "modulo": ("SELECT sum(v) FROM lab_dead WHERE v %% %s = 0", lambda: (rng.randint(3, 50),)),
        "like": (
            "SELECT count(*) FROM lab_dead WHERE note LIKE %s",
            lambda: (f"%{rng.randint(0, 99):02d}%",),
        ),
    }[shape]
    params = {"rows": rows, "deleted_share": round(deleted, 3), "threads": threads, "shape": shape}
    return Injector(dsn, "dead_tuples", [_loop(sql, args) for _ in range(threads)], params=params)


# -- redundant indexes under writes --------------------------------------------------------------
def redundant_indexes(dsn: Dsn, rng: random.Random) -> Injector:
    """A wide table carrying an index on nearly every column, updated row by row by its key."""
    columns = rng.randint(8, 16)
    indexed = rng.randint(columns - 2, columns)
    overlapping = rng.randint(1, 3)
    rows = rng.randint(20_000, 60_000)
    threads = rng.randint(2, 4)
    body = ", ".join(f"c{i} int NOT NULL" for i in range(columns))
    values = ", ".join(f"(g * {i + 7}) % 1000" for i in range(columns))
    _build(
        dsn,
        {"lab_wide": f"id int PRIMARY KEY, {body}"},
        f"INSERT INTO lab_wide SELECT g, {values} FROM {_series(dsn, rows)}",
        *(f"CREATE INDEX lab_wide_c{i} ON lab_wide (c{i})" for i in range(indexed)),
        *(f"CREATE INDEX lab_wide_c{i}_c{i + 1} ON lab_wide (c{i}, c{i + 1})" for i in range(overlapping)),
    )
    # PostgreSQL writes a new entry in every index for any update of an indexed column; InnoDB only
    # in the indexes whose columns changed, so there the statement sets every indexed column.
    touched = list(range(indexed)) if not _pg(dsn) else [rng.randrange(indexed)]
    sets = ", ".join(f"c{i} = %s" for i in touched)
    sql = f"UPDATE lab_wide SET {sets} WHERE id = %s"

    def args() -> tuple[int, ...]:
        return (*(rng.randint(0, 999) for _ in touched), rng.randint(1, rows))

    params = {
        "columns": columns,
        "indexes": indexed + overlapping + 1,
        "rows": rows,
        "threads": threads,
        "columns_set": len(touched),
    }
    return Injector(dsn, "redundant_indexes", [_loop(sql, args) for _ in range(threads)], params=params)


# -- large fetches -------------------------------------------------------------------------------
def large_fetches(dsn: Dsn, rng: random.Random) -> Injector:
    """Whole-table SELECTs with neither WHERE nor LIMIT, every row shipped to the client."""
    rows = rng.randint(40_000, 120_000)
    columns = rng.randint(3, 8)
    threads = rng.randint(2, 3)
    body = ", ".join(f"p{i} {'text' if _pg(dsn) else 'varchar(40)'}" for i in range(columns))
    values = ", ".join(_md5(dsn, f"g + {i}") for i in range(columns))
    _build(
        dsn,
        {"lab_fetch": f"id int PRIMARY KEY, {body}"},
        f"INSERT INTO lab_fetch SELECT g, {values} FROM {_series(dsn, rows)}",
    )
    picked = rng.sample([f"p{i}" for i in range(columns)], k=rng.randint(1, columns))
    sql = rng.choice(["SELECT * FROM lab_fetch", f"SELECT id, {', '.join(picked)} FROM lab_fetch"])
    params = {"rows": rows, "columns": columns, "threads": threads, "query": sql}
    return Injector(dsn, "large_fetches", [_loop(sql) for _ in range(threads)], params=params)


# -- correlated subquery -------------------------------------------------------------------------
def correlated_subquery(dsn: Dsn, rng: random.Random) -> Injector:
    """A subquery that refers to the outer row, so it runs once per outer row (its key is indexed)."""
    outer = rng.randint(2_000, 6_000)
    per_order = rng.randint(5, 20)
    threads = rng.randint(2, 3)
    _build(
        dsn,
        {
            "lab_orders": "id int PRIMARY KEY, amount int NOT NULL",
            "lab_items": "id int PRIMARY KEY, order_id int NOT NULL, price int NOT NULL",
        },
        f"INSERT INTO lab_orders SELECT g, (g * 37) % 500 FROM {_series(dsn, outer)}",
        f"INSERT INTO lab_items SELECT g, (g % {outer}) + 1, (g * 13) % 600 FROM {_series(dsn, outer * per_order)}",
        "CREATE INDEX lab_items_order ON lab_items (order_id)",
        _analyze(dsn, "lab_orders"),
        _analyze(dsn, "lab_items"),
    )
    aggregate = rng.choice(["avg", "max"])
    sql = (
        f"SELECT o.id FROM lab_orders o WHERE o.amount > "
        f"(SELECT {aggregate}(i.price) FROM lab_items i WHERE i.order_id = o.id)"
    )
    params = {
        "outer_rows": outer,
        "inner_rows": outer * per_order,
        "threads": threads,
        "aggregate": aggregate,
    }
    return Injector(dsn, "correlated_subquery", [_loop(sql) for _ in range(threads)], params=params)


# -- poor join -----------------------------------------------------------------------------------
def poor_join(dsn: Dsn, rng: random.Random) -> Injector:
    """A join on a range condition between two tables: no equality, so every pair is compared."""
    left = rng.randint(600, 1_500)
    right = rng.randint(5_000, 12_000)
    threads = rng.randint(2, 3)
    _build(
        dsn,
        {
            "lab_ja": "id int PRIMARY KEY, lo int NOT NULL, hi int NOT NULL",
            "lab_jb": "id int PRIMARY KEY, v int NOT NULL",
        },
        f"INSERT INTO lab_ja SELECT g, (g * 7) % 1000, (g * 7) % 1000 + 5 FROM {_series(dsn, left)}",
        f"INSERT INTO lab_jb SELECT g, (g * 11) % 1000 FROM {_series(dsn, right)}",
    )
    condition = rng.choice(
        ["b.v BETWEEN a.lo AND a.hi", "b.v > a.lo AND b.v < a.hi", "b.v - a.lo < 3 AND b.v >= a.lo"]
    )
    sql = f"SELECT count(*) FROM lab_ja a JOIN lab_jb b ON {condition}"
    params = {"left_rows": left, "right_rows": right, "threads": threads, "condition": condition}
    return Injector(dsn, "poor_join", [_loop(sql) for _ in range(threads)], params=params)


# -- large updates and deletes --------------------------------------------------------------------
def large_updates_deletes(dsn: Dsn, rng: random.Random) -> Injector:
    """Statements that each update thousands of rows through an index, disjoint per worker."""
    rows = rng.randint(100_000, 250_000)
    buckets = rng.randint(20, 60)
    threads = rng.randint(2, 3)
    _build(
        dsn,
        {"lab_upd": "id int PRIMARY KEY, bucket int NOT NULL, v int NOT NULL, note varchar(40)"},
        f"INSERT INTO lab_upd SELECT g, g % {buckets}, 0, 'n' FROM {_series(dsn, rows)}",
        "CREATE INDEX lab_upd_bucket ON lab_upd (bucket)",
    )
    shape = rng.choice(["counter", "note", "range"])
    span = rows // buckets
    sql = {
        "counter": "UPDATE lab_upd SET v = v + 1 WHERE bucket = %s",
        "note": "UPDATE lab_upd SET note = %s WHERE bucket = %s",
        "range": "UPDATE lab_upd SET v = v + 1 WHERE id BETWEEN %s AND %s",
    }[shape]

    def worker(k: int) -> Worker:
        mine = [b for b in range(buckets) if b % threads == k]

        def args() -> tuple[Any, ...]:
            b = rng.choice(mine)
            if shape == "counter":
                return (b,)
            if shape == "note":
                return (f"batch-{rng.randint(0, 9999)}", b)
            return (b * span + 1, (b + 1) * span)

        return _loop(sql, args)

    params = {"rows": rows, "rows_per_statement": span, "threads": threads, "shape": shape}
    return Injector(dsn, "large_updates_deletes", [worker(k) for k in range(threads)], params=params)
