from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.history.support import killed_writer_loses_nothing_committed, sqlite_url, two_writers_lose_nothing


def test_two_writers_at_once_lose_nothing_on_sqlite(tmp_path: Path) -> None:
    two_writers_lose_nothing(sqlite_url(tmp_path))


def test_a_writer_killed_mid_write_loses_nothing_it_committed_on_sqlite(tmp_path: Path) -> None:
    killed_writer_loses_nothing_committed(sqlite_url(tmp_path))
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
