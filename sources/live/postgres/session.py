"""A psycopg 3 session that can only read, with a statement timeout, for the PostgreSQL collector."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import psycopg
from psycopg.rows import dict_row

from sources.live.dsn import Dsn
from sources.live.errors import CollectError, ConnectionLost, QueryFailed, WriteRefused
from sources.live.guard import check_explainable, check_plan_statement, check_read_only, is_control
from sources.live.session import Row

APPLICATION_NAME = "sleuth-collector"
_PARAMETER = re.compile(r"\$([0-9]+)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())


class PgSession:
    """Every statement runs in ``BEGIN READ ONLY`` with ``statement_timeout``; lock waits are capped too."""

    def __init__(self, dsn: Dsn, *, statement_timeout_ms: int = 5000, connect_timeout_s: int = 5) -> None:
        self._dsn = dsn
        # Startup options, not SQL: the server applies them before the first statement, so even the
        # first query is bounded and read-only, and a role without write rights changes nothing.
        options = (
            f"-c statement_timeout={statement_timeout_ms} -c lock_timeout=1000 "
            "-c default_transaction_read_only=on"
        )
        try:
            conn = psycopg.connect(
                host=dsn.host,
                port=dsn.port,
                user=dsn.user or None,
                password=dsn.password or None,
                dbname=dsn.database or "postgres",
                connect_timeout=connect_timeout_s,
                application_name=APPLICATION_NAME,
                options=options,
                autocommit=False,
                row_factory=dict_row,
            )
        except psycopg.Error as exc:
            raise CollectError(f"cannot connect to {dsn}: {dsn.redact(_first_line(exc))}") from None
        conn.read_only = True
        self._conn: psycopg.Connection[dict[str, Any]] = conn
        self._version = str(conn.info.parameter_status("server_version") or "")
        self._plans = 0

    @property
    def server_version(self) -> str:
        return self._version

    def query(self, sql: str) -> list[Row]:
        check_read_only(sql, "postgres")
        return self._execute(sql)

    def _execute(self, sql: str) -> list[Row]:
        try:
            with self._conn.cursor() as cur:
                # As bytes: psycopg types str queries as LiteralString, and these are vetted by the guard.
                cur.execute(sql.encode())
                return list(cur.fetchall()) if cur.description else []
        except psycopg.Error as exc:
            message = self._dsn.redact(_first_line(exc))
            if self._conn.broken or self._conn.closed or isinstance(exc, psycopg.InterfaceError):
                raise ConnectionLost(f"lost the connection to {self._dsn}: {message}") from None
            self._rollback()
            raise QueryFailed(message) from None

    def _plan_step(self, sql: str) -> list[Row]:
        if not is_control(sql):
            check_plan_statement(sql, "postgres")
        return self._execute(sql)

    def explain(self, text: str) -> Any:
        """EXPLAIN (FORMAT JSON), never ANALYZE, of a statement text in its own read-only transaction.

        A normalised text has ``$n`` placeholders, which plain EXPLAIN cannot plan before
        PostgreSQL 16; it is prepared instead and its generic plan explained, with
        ``plan_cache_mode = force_generic_plan`` set only for that transaction. The statement
        itself is never executed.
        """
        check_explainable(text, "postgres")
        params = max((int(n) for n in _PARAMETER.findall(text)), default=0)
        try:
            if params == 0:
                rows = self._plan_step(f"EXPLAIN (FORMAT JSON) {text}")
            else:
                self._plans += 1
                name = f"sleuth_plan_{self._plans}"
                self._plan_step("SET LOCAL plan_cache_mode = force_generic_plan")
                self._plan_step(f"PREPARE {name} AS {text}")
                try:
                    args = ", ".join(["NULL"] * params)
                    rows = self._plan_step(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({args})")
                finally:
                    # A prepared statement outlives the transaction; it must not outlive the plan.
                    with contextlib.suppress(QueryFailed, WriteRefused):
                        self._plan_step(f"DEALLOCATE {name}")
        finally:
            self._rollback()
        return next(iter(rows[0].values())) if rows else None

    def end_snapshot(self) -> None:
        self._rollback()

    def _rollback(self) -> None:
        try:
            self._conn.rollback()
        except psycopg.Error as exc:
            raise ConnectionLost(
                f"lost the connection to {self._dsn}: {self._dsn.redact(_first_line(exc))}"
            ) from None

    def close(self) -> None:
        # Closing a dead connection has nothing left to report.
        with contextlib.suppress(psycopg.Error):
            self._conn.close()
