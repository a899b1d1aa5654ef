"""Diagnose many incident files, in order, optionally over a process pool, never stopping at a bad one.

The per-file function is a parameter so the command line can swap the
rules-only diagnosis for the planner's triage without this module importing
the planner; it must be a picklable top-level callable for ``jobs > 1``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from models import Diagnosis

Worker = Callable[[Path], Diagnosis]


@dataclass(frozen=True)
class Outcome:
    """One file's result: a diagnosis, or the one-line reason it could not be diagnosed."""

    path: Path
    diagnosis: Diagnosis | None = None
    error: str | None = None


def attempt(worker: Worker, path: Path) -> Outcome:
    """Run ``worker`` on one file, turning any failure into a one-line error instead of a traceback."""
    try:
        return Outcome(path, diagnosis=worker(path))
    except Exception as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not text.startswith(str(path)):
            text = f"{path}: {text}"
        return Outcome(path, error=text)


def run_batch(
    paths: Sequence[Path],
    worker: Worker,
    *,
    jobs: int = 1,
    on_done: Callable[[Outcome], None] | None = None,
) -> Iterator[Outcome]:
    """Outcomes in the order of ``paths``; ``on_done`` sees each as it is produced (progress bars)."""
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            outcome = attempt(worker, path)
            if on_done is not None:
                on_done(outcome)
            yield outcome
        return
    workers = min(jobs, len(paths), os.cpu_count() or jobs)
    chunk = max(1, min(32, len(paths) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for outcome in pool.map(attempt, repeat(worker), paths, chunksize=chunk):
            if on_done is not None:
                on_done(outcome)
            yield outcome
