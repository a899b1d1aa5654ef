"""What a watcher loads before its first sample, and the allocator hand-back after each diagnosis."""

from __future__ import annotations

import platform
from pathlib import Path

from sleuth import Sleuth, load_settings
from sleuth._preload import warm_incident
from sleuth.watch.memory import release_freed


def _app(tmp_path: Path) -> Sleuth:
    return Sleuth(load_settings(history={"url": f"sqlite:///{tmp_path}/history.sqlite"}))


def test_preload_creates_and_migrates_the_history_before_any_incident(tmp_path: Path) -> None:
    app = _app(tmp_path)
    assert not app.history_available()
    app.preload(history=True)
    assert app.history_available()
    assert list(app.history.entries(limit=5)) == []  # opened and migrated: its tables answer, empty


def test_preload_without_a_history_leaves_none_behind(tmp_path: Path) -> None:
    app = _app(tmp_path)
    app.preload(history=False)
    assert not app.history_available()
    assert not (tmp_path / "history.sqlite").exists()


def test_the_made_up_incident_diagnoses_as_the_step_it_contains() -> None:
    """The preload incident must exercise the diagnosis it warms: a window with moves in it."""
    app = Sleuth(load_settings())
    for engine in ("postgres", "mysql", "mariadb"):
        dx = app.diagnose(warm_incident(engine))
        moved = {f.name for f in dx.signals if f.attrs.get("direction") == "up"}
        assert {"cpu_utilization", "open_connections"} <= moved, (engine, sorted(moved))


def test_freed_memory_is_handed_back_where_the_allocator_allows_it() -> None:
    assert release_freed() is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
