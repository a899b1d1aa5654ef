"""Bringing a history database to the newest revision, programmatically (Alembic, no alembic.ini).

A database is never reset: one written by an older sleuth is migrated in one
transaction (all revisions or none), and one this sleuth cannot read — from a
newer sleuth, or tables not made by these migrations — is refused with a
message, leaving it as it was. Concurrent first openings are serialised (the
SQLite write lock, a PostgreSQL advisory lock), so two processes never both
create the tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from sleuth.history.connect import WRITE, redacted
from sleuth.history.errors import HistoryError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant will do: it only has to be the same for every sleuth migrating one server.
_PG_LOCK = 0x5_1E07_0001


def head() -> str:
    revision = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert revision is not None, "the migrations have a head"
    return revision


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> None:
    """Migrate to ``target``; ``HistoryError`` when the database is not one this sleuth can migrate."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            _check(connection, engine)
            config = _config(connection)
            command.upgrade(config, target)


def _check(connection: Connection, engine: Engine) -> None:
    found = MigrationContext.configure(connection).get_current_revision()
    known = {script.revision for script in ScriptDirectory.from_config(_config(None)).walk_revisions()}
    where = redacted(engine.url)
    if found is None:
        if "diagnoses" in inspect(connection).get_table_names():
            raise HistoryError(f"{where}: has a diagnoses table sleuth did not create; refusing to touch it")
        return
    if found not in known:
        raise HistoryError(
            f"{where}: written by a newer sleuth (database revision {found}, this sleuth knows up to "
            f"{head()}); upgrade sleuth to read it"
        )


def _config(connection: Connection | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config
