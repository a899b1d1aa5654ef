"""Read-write connections for the injectors, refused for anything but a loopback server.

The injectors write and hammer on purpose, so they must never reach a real
database by a mistyped DSN: only 127.0.0.1, ::1 and localhost are accepted.
"""

from __future__ import annotations

from typing import Any, Protocol

import psycopg
import pymysql

from sources.live.dsn import Dsn, parse_dsn

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class Cursor(Protocol):
    def execute(self, query: Any, params: Any = ...) -> Any: ...

    def fetchall(self) -> Any: ...


class Connection(Protocol):
    def cursor(self) -> Any: ...

    def close(self) -> None: ...


def lab_dsn(text: str) -> Dsn:
    """Parse a DSN and insist that it points at this machine."""
    dsn = parse_dsn(text)
    if dsn.host not in LOOPBACK:
        raise ValueError(f"the lab injects anomalies only into loopback servers, not {dsn.endpoint}")
    return dsn


def connect(dsn: Dsn, *, timeout_s: int = 5) -> Any:
    """An autocommit read-write connection (the injectors' statements are their own transactions)."""
    if dsn.family == "postgres":
        return psycopg.connect(
            host=dsn.host,
            port=dsn.port,
            user=dsn.user,
            password=dsn.password,
            dbname=dsn.database,
            connect_timeout=timeout_s,
            application_name="sleuth-lab",
            autocommit=True,
        )
    return pymysql.connect(
        host=dsn.host,
        port=dsn.port,
        user=dsn.user,
        password=dsn.password,
        database=dsn.database,
        connect_timeout=timeout_s,
        autocommit=True,
        # The lab serves no TLS. Left to prefer it, PyMySQL loads the CA bundle into a new TLS
        # context on every connect (about 30 ms of CPU): a storm's clients would then burn the
        # lab host's cores, staging a second anomaly (an outside CPU hog) that remote clients
        # never cause on a real server.
        ssl_disabled=True,
    )


def run(conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    """Execute one statement and return its rows (empty for statements without a result)."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        if cur.description is None:
            return []
        return list(cur.fetchall())
