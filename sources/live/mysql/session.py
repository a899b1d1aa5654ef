"""A PyMySQL session that can only read, with a statement timeout, for the MySQL/MariaDB collector."""

from __future__ import annotations

import contextlib
import json
from typing import Any, cast

import pymysql
import pymysql.cursors

from sources.live.dsn import Dsn
from sources.live.errors import CollectError, ConnectionLost, QueryFailed, WriteRefused
from sources.live.guard import check_plan_statement, check_read_only, is_control
from sources.live.session import Row

# Client-side error codes that mean the connection is gone (2006 gone away, 2013 lost during query, ...).
_LOST_CODES = frozenset({2003, 2006, 2013, 2014, 2055, 1053, 1927})


def _reason(exc: BaseException) -> str:
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    if len(args) >= 2 and isinstance(args[1], str):
        text = f"{args[1]} (error {args[0]})"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.splitlines()[0].split()) if text.strip() else type(exc).__name__


def _code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


class MySqlSession:
    """The session is read-only and every snapshot is ``START TRANSACTION READ ONLY`` ... ``ROLLBACK``."""

    def __init__(self, dsn: Dsn, *, statement_timeout_ms: int = 5000, connect_timeout_s: int = 5) -> None:
        self._dsn = dsn
        self._in_snapshot = False
        try:
            self._conn = pymysql.connect(
                host=dsn.host,
                port=dsn.port,
                user=dsn.user or None,
                password=dsn.password,
                database=dsn.database or None,
                connect_timeout=connect_timeout_s,
                read_timeout=max(5, statement_timeout_ms // 1000 + 5),
                write_timeout=10,
                autocommit=True,
                charset="utf8mb4",
                cursorclass=pymysql.cursors.DictCursor,
            )
        except pymysql.err.MySQLError as exc:
            raise CollectError(f"cannot connect to {dsn}: {dsn.redact(_reason(exc))}") from None
        except OSError as exc:
            raise CollectError(f"cannot connect to {dsn}: {dsn.redact(_reason(exc))}") from None
        # MariaDB prefixes "5.5.5-" for old clients; the real version follows it.
        self._version = str(self._conn.get_server_info()).removeprefix("5.5.5-")
        self.is_mariadb = "mariadb" in self._version.lower()
        self._control("SET SESSION TRANSACTION READ ONLY")
        if self.is_mariadb:
            self._control(f"SET SESSION max_statement_time = {statement_timeout_ms / 1000:g}")
        else:
            self._control(f"SET SESSION MAX_EXECUTION_TIME = {statement_timeout_ms}")
        self._control("SET SESSION innodb_lock_wait_timeout = 1")

    @property
    def server_version(self) -> str:
        return self._version

    def _control(self, sql: str) -> None:
        if not is_control(sql):
            raise WriteRefused(f"refused a session statement that is not read-only setup: {sql}")
        self._run(sql)

    def _run(self, sql: str) -> list[Row]:
        try:
            with self._conn.cursor() as cur:
                cur.execute(sql)
                return cast(list[Row], list(cur.fetchall())) if cur.description else []
        except (pymysql.err.MySQLError, OSError) as exc:
            message = self._dsn.redact(_reason(exc))
            if isinstance(exc, pymysql.err.InterfaceError | OSError) or _code(exc) in _LOST_CODES:
                raise ConnectionLost(f"lost the connection to {self._dsn}: {message}") from None
            raise QueryFailed(message) from None

    def query(self, sql: str) -> list[Row]:
        check_read_only(sql, "mysql")
        return self._in_transaction(sql)

    def _in_transaction(self, sql: str) -> list[Row]:
        if not self._in_snapshot:
            self._control("START TRANSACTION READ ONLY")
            self._in_snapshot = True
        return self._run(sql)

    def explain(self, text: str) -> Any:
        """EXPLAIN FORMAT=JSON, never ANALYZE, of one query text inside the read-only transaction."""
        sql = check_plan_statement(f"EXPLAIN FORMAT=JSON {text}", "mysql")
        try:
            rows = self._in_transaction(sql)
        finally:
            self.end_snapshot()
        if not rows:
            return None
        value = next(iter(rows[0].values()))
        return json.loads(value) if isinstance(value, str | bytes) else value

    def end_snapshot(self) -> None:
        if self._in_snapshot:
            self._in_snapshot = False
            self._control("ROLLBACK")

    def close(self) -> None:
        # Closing a dead connection has nothing left to report.
        with contextlib.suppress(pymysql.err.MySQLError, OSError):
            self._conn.close()
