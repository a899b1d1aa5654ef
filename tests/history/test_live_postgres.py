"""The history on the lab's PostgreSQL: the same guarantees as on SQLite, in a schema of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import URL

from lab.env import LabUnavailable, ensure_lab
from sleuth.history.store import Store
from sources.live.dsn import Dsn, parse_dsn
from tests.history.support import (
    LOCK,
    killed_writer_loses_nothing_committed,
    service,
    two_writers_lose_nothing,
)
from tests.history.test_migrations import migrates_with_its_data

pytestmark = pytest.mark.live


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the lab server (first on the search path), dropped afterwards, and a test
    that leaves a connection of it open fails: the live tests after these measure the server, and
    a connection the garbage collector closes at some later moment moves what they measure.

    No lab is a failure, never a skip: a silent skip would let CI pass without PostgreSQL.
    """
    try:
        lab = ensure_lab()
    except LabUnavailable as exc:
        pytest.fail(f"the anomaly lab is not available: {exc}", pytrace=False)
    admin = parse_dsn(lab.pg_admin)
    schema = f"sleuth_history_{uuid.uuid4().hex[:10]}"
    with _admin(admin) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
    url = URL.create(
        "postgresql+psycopg",
        admin.user,
        admin.password,
        admin.host,
        admin.port,
        admin.database,
        query={"options": f"-csearch_path={schema}", "application_name": schema},
    ).render_as_string(hide_password=False)
    yield url
    with _admin(admin) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [schema]
        ).fetchone()
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    assert row == (0,), f"{row} connections of the test's history left open"


def _admin(dsn: Dsn) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=dsn.host,
        port=dsn.port,
        user=dsn.user,
        password=dsn.password,
        dbname=dsn.database,
        autocommit=True,
    )


def test_record_confirm_and_retrieve_on_postgresql(pg_url: str) -> None:
    app = service(pg_url)
    try:
        entry = app.record(app.diagnose_file(LOCK), path=LOCK)
        app.confirm(str(entry.id), ["lock_contention"], "on the team's server")
        assert [(s.record, s.causes, s.note) for s in app.diagnose_file(LOCK).similar] == [
            (entry.id, ["lock_contention"], "on the team's server")
        ]
        assert [e.id for e in app.history.entries(confirmed=True)] == [entry.id]
    finally:
        app.history.close()  # the next tests measure the server: no connection may close under them


def test_two_writers_at_once_lose_nothing_on_postgresql(pg_url: str) -> None:
    two_writers_lose_nothing(pg_url)


def test_a_writer_killed_mid_write_loses_nothing_it_committed_on_postgresql(pg_url: str) -> None:
    killed_writer_loses_nothing_committed(pg_url)


def test_a_history_at_the_first_revision_is_migrated_on_postgresql(pg_url: str) -> None:
    migrates_with_its_data(pg_url)
    store = Store(pg_url)
    try:
        assert store.revision() == 3
    finally:
        store.close()
