"""The lab's tables: created and filled once per server, reused by every anomaly.

Big enough that a missing index hurts (200 000 rows scanned per query), small
enough to build in a few seconds on two cores.
"""

from __future__ import annotations

from typing import Any

from lab.db import run

BIG_ROWS = 200_000
ACCOUNTS = 100
CHURN_ROWS = 5_000

_PG = (
    "CREATE TABLE IF NOT EXISTS lab_accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text)",
    "CREATE TABLE IF NOT EXISTS lab_big (id int PRIMARY KEY, customer int NOT NULL, payload text)",
    "CREATE TABLE IF NOT EXISTS lab_churn (id int PRIMARY KEY, counter bigint NOT NULL, pad text)",
    "CREATE TABLE IF NOT EXISTS lab_bulk (id bigserial PRIMARY KEY, payload text)",
)
_MY = (
    "CREATE TABLE IF NOT EXISTS lab_accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text)"
    " ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS lab_big (id int PRIMARY KEY, customer int NOT NULL, payload varchar(64))"
    " ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS lab_churn (id int PRIMARY KEY, counter bigint NOT NULL, pad varchar(64))"
    " ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS lab_bulk (id bigint AUTO_INCREMENT PRIMARY KEY, payload varchar(64))"
    " ENGINE=InnoDB",
)


def _count(conn: Any, table: str) -> int:
    return int(run(conn, f"SELECT count(*) FROM {table}")[0][0])


def ensure_schema(conn: Any, family: str) -> None:
    """Create and fill the lab tables if they are not there yet (idempotent, cheap when done)."""
    pg = family == "postgres"
    for ddl in _PG if pg else _MY:
        run(conn, ddl)
    series = "generate_series(1, {n}) AS s(g)" if pg else "seq_1_to_{n} AS s"
    g = "g" if pg else "s.seq"
    md5 = f"md5({g}::text)" if pg else f"md5({g})"
    if _count(conn, "lab_accounts") < ACCOUNTS:
        run(conn, "DELETE FROM lab_accounts")
        run(conn, f"INSERT INTO lab_accounts SELECT {g}, 1000, 'acct' FROM {series.format(n=ACCOUNTS)}")
    if _count(conn, "lab_big") < BIG_ROWS:
        run(conn, "DELETE FROM lab_big")
        run(
            conn,
            f"INSERT INTO lab_big SELECT {g}, {g} % 5000, {md5} FROM {series.format(n=BIG_ROWS)}",
        )
    if _count(conn, "lab_churn") < CHURN_ROWS:
        run(conn, "DELETE FROM lab_churn")
        run(conn, f"INSERT INTO lab_churn SELECT {g}, 0, {md5} FROM {series.format(n=CHURN_ROWS)}")
    run(conn, "ANALYZE lab_big" if pg else "ANALYZE TABLE lab_big")
