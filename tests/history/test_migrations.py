from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from sleuth.history.connect import open_engine
from sleuth.history.errors import HistoryError
from sleuth.history.migrate import current, head, upgrade
from sleuth.history.similar import PastIncidents
from sleuth.history.store import Store
from tests.history.support import sqlite_url

FIRST = "0001"


def at_first_revision_with_data(url: str) -> None:
    """A history as the first release wrote it: two diagnoses, one confirmed."""
    engine = open_engine(url)
    false = "false" if engine.dialect.name == "postgresql" else "0"
    upgrade(engine, FIRST)
    with engine.begin() as db:
        for n, (incident, signature) in enumerate(
            [("orders-lock", '{"row_lock_waits": 2.3, "latency": 1.1}'), ("cpu-hog", '{"cpu_user": 2.9}')],
            start=1,
        ):
            db.execute(
                text(
                    "INSERT INTO diagnoses (id, recorded_at, incident_id, title, engine, source, path, digest, "
                    "incident, diagnosis_path, top_cause, causes, rulebook, signature, window_start, window_end, "
                    "window_inferred) VALUES (:id, 100.0, :incident, 'old', 'mysql', 'cli', NULL, :digest, "
                    "'{}', 'rules', 'lock_contention', '[{\"cause\": \"lock_contention\", \"certainty\": 0.8}]', "
                    f"'v1', :signature, 1.0, 2.0, {false})"
                ),
                {"id": n, "incident": incident, "digest": f"{n:064d}", "signature": signature},
            )
        db.execute(
            text(
                "INSERT INTO verdicts (diagnosis_id, cause, verdict, note, decided_at) "
                "VALUES (1, 'lock_contention', 'confirmed', 'kept through the upgrade', 101.0)"
            )
        )
    engine.dispose()


def test_a_history_written_at_the_first_revision_is_migrated_with_its_data(tmp_path: Path) -> None:
    migrates_with_its_data(sqlite_url(tmp_path))


def migrates_with_its_data(url: str) -> None:
    """Every connection it opens is closed before it returns: on a shared server, one left to the
    garbage collector would close at some later moment, under whatever the next test measures."""
    at_first_revision_with_data(url)
    assert _revision(url) == FIRST

    store = Store(url)
    try:
        assert _revision(url) == head() != FIRST
        entries = store.entries()
        assert [(e.id, e.incident_id, e.confirmed, e.note) for e in entries] == [
            (2, "cpu-hog", (), ""),
            (1, "orders-lock", ("lock_contention",), "kept through the upgrade"),
        ]
        assert store.get(1) is not None and store.get(1).signature == {"row_lock_waits": 2.3, "latency": 1.1}  # type: ignore[union-attr]
        # the rows predate change tracking: they count as changed, so a new reader loads them
        confirmed, others, revision = store.changes(0)
        assert ([c[0] for c in confirmed], others, revision) == ([1], [2], 2)
        past = PastIncidents(details=store.confirmed)
        past.index(confirmed, [])
        found = past.search({"row_lock_waits": 2.0, "latency": 1.0}, "mysql", 3)
        assert [(m.record, m.causes, m.note) for m in found] == [
            (1, ["lock_contention"], "kept through the upgrade")
        ]
        # and writing goes on from there
        store.set_verdicts(2, ["cpu_saturation"], "confirmed", "", 102.0)
        assert store.revision() == 3
    finally:
        store.close()


def _revision(url: str) -> str | None:
    engine = open_engine(url)
    try:
        return current(engine)
    finally:
        engine.dispose()


def test_a_history_from_a_newer_sleuth_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    Store(url).close()
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '0042'")
    before = (tmp_path / "history.sqlite").read_bytes()
    with pytest.raises(HistoryError, match=r"written by a newer sleuth \(database revision 0042"):
        Store(url)
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0042",)]
    assert (tmp_path / "history.sqlite").read_bytes() == before


def test_tables_sleuth_did_not_create_are_refused_not_reset(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        db.execute("CREATE TABLE diagnoses (id INTEGER PRIMARY KEY, what TEXT)")
        db.execute("INSERT INTO diagnoses (what) VALUES ('someone else''s')")
    with pytest.raises(
        HistoryError, match="has a diagnoses table sleuth did not create; refusing to touch it"
    ):
        Store(sqlite_url(tmp_path))
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT what FROM diagnoses").fetchall() == [("someone else's",)]


def test_a_url_that_is_not_sqlite_or_postgresql_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="must be SQLite or PostgreSQL, not mysql"):
        Store("mysql://u@localhost/h")
    with pytest.raises(HistoryError, match="not a database URL"):
        Store("no url here")
