"""Batches keep going past a bad file and keep their order, in one process or in a pool."""

from __future__ import annotations

import functools
from pathlib import Path

from models import Diagnosis
from rules.batch import Outcome, attempt, run_batch


def fake_worker(path: Path) -> Diagnosis:
    """Top level so a process pool can pickle it; fails on files named ``bad*``."""
    if path.name.startswith("bad"):
        raise ValueError("cannot read this\nsecond line never shown")
    return Diagnosis(incident=path.stem, path="inconclusive")


def _note(seen: list[str], outcome: Outcome) -> None:
    seen.append(outcome.path.stem)


def test_a_failure_becomes_one_line_naming_the_file() -> None:
    outcome = attempt(fake_worker, Path("x/bad.json"))
    assert (outcome.diagnosis, outcome.error) == (None, "x/bad.json: cannot read this")


def test_order_is_kept_and_progress_sees_every_outcome() -> None:
    paths = [Path(f"{name}.json") for name in ("a", "bad1", "b", "c", "bad2", "d")]
    for jobs in (1, 2):
        seen: list[str] = []
        outcomes = list(run_batch(paths, fake_worker, jobs=jobs, on_done=functools.partial(_note, seen)))
        assert [o.diagnosis.incident if o.diagnosis else o.error for o in outcomes] == [
            "a",
            "bad1.json: cannot read this",
            "b",
            "c",
            "bad2.json: cannot read this",
            "d",
        ]
        assert seen == [p.stem for p in paths]
