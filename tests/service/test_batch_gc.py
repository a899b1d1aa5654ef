"""A batch keeps what was loaded before it out of the collector's reach and collects young objects
less often, and gives both back after."""

from __future__ import annotations

import gc
from collections.abc import Generator
from pathlib import Path

from models import Diagnosis
from sleuth import _batch


def _unreadable(path: Path) -> Diagnosis:
    raise ValueError("unreadable")


def test_a_single_process_batch_freezes_what_was_loaded_and_thaws_it_after() -> None:
    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()
    seen: list[tuple[int, int]] = []

    def worker(path: Path) -> Diagnosis:
        seen.append((gc.get_freeze_count(), gc.get_threshold()[0]))
        return _unreadable(path)

    outcomes = list(_batch.run([Path("a.json"), Path("b.json")], worker, jobs=1))
    assert [o.error for o in outcomes] == ["a.json: unreadable", "b.json: unreadable"]
    assert len(seen) == 2 and min(frozen for frozen, _ in seen) > 0
    assert {young for _, young in seen} == {max(before[0], _batch.YOUNG_THRESHOLD)}
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_a_batch_stopped_early_thaws_too() -> None:
    assert gc.get_freeze_count() == 0
    stream = _batch.run([Path("a.json"), Path("b.json")], _unreadable, jobs=1)
    assert isinstance(stream, Generator)
    assert next(stream).error == "a.json: unreadable"
    assert gc.get_freeze_count() > 0
    stream.close()
    assert gc.get_freeze_count() == 0
