"""Opening the history database: SQLite in the user's data directory unless a URL says otherwise.

SQLite runs in WAL mode (readers never block the writer), with full
synchronous commits (a committed diagnosis survives the process being
killed, and the machine losing power), foreign keys on, and a busy timeout
so a second writer waits for the first instead of failing. Writes begin with
``BEGIN IMMEDIATE``: taking the write lock up front means two writers queue
rather than both reading, then one failing to upgrade its lock. PostgreSQL
needs none of this; ``postgresql://`` URLs are routed to psycopg 3, the driver
the live collectors already use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from sleuth.history.errors import HistoryError

BUSY_TIMEOUT_S = 30.0
WRITE = "sleuth_write"
"""Execution option of a connection that will write: its transaction starts with the write lock."""


def parse(url: str) -> URL:
    """The SQLAlchemy URL; bare ``postgresql://`` and ``postgres://`` use psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise HistoryError(f"not a database URL: {redacted(url)!r}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise HistoryError(f"history database must be SQLite or PostgreSQL, not {parsed.get_backend_name()}")
    return parsed


def redacted(url: str | URL) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def open_engine(url: str) -> Engine:
    parsed = parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(parsed)
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite(url: URL) -> Engine:
    if url.database not in (None, "", ":memory:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            f"busy_timeout={int(BUSY_TIMEOUT_S * 1000)}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
