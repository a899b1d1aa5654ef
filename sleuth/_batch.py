"""Many incident files, diagnosed in order, streamed as each is done, never stopping at a bad one.

With several jobs the workers are forked *after* the rule book and the graph
are loaded and compiled, so each inherits them instead of loading its own
(loading costs more than diagnosing a DBSherlock incident). This process is
one of the jobs: while it waits for the next result in order, it diagnoses the
last files no worker has started, and what it diagnoses itself is never
pickled through a pipe (sending a diagnosis back costs a tenth of making it).
A caller that only prints each diagnosis has the worker render it: the text
is what comes back, cheaper to send than the diagnosis and made in parallel.
Workers ignore SIGINT, SIGTERM and SIGHUP: they reach the parent, which keeps
what finished and stops the rest. Results come back in the order of the paths,
so output is stable.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models import Diagnosis

# A file's diagnosis, or the text the caller rendered of it in the job that made it.
Worker = Callable[[Path], "Diagnosis | str"]


@dataclass(frozen=True)
class Outcome:
    """One file's result: a diagnosis or its rendered ``text``, or the one-line reason it could not be diagnosed."""

    path: Path
    diagnosis: Diagnosis | None = None
    error: str | None = None
    text: str | None = None


def attempt(worker: Worker, path: Path) -> Outcome:
    """Run ``worker`` on one file, turning any failure into a one-line error instead of a traceback."""
    try:
        result = worker(path)
    except Exception as exc:
        lines = str(exc).strip().splitlines()
        text = lines[0] if lines else type(exc).__name__
        if not text.startswith(str(path)):
            text = f"{path}: {text}"
        return Outcome(path, error=text)
    if isinstance(result, str):
        return Outcome(path, text=result)
    return Outcome(path, diagnosis=result)


# Allocations between two young collections during a batch (the interpreter's default is 700).
YOUNG_THRESHOLD = 10_000

# The worker of the forked pool: set in the parent before the fork, inherited by the children.
_worker: Worker | None = None


def _init_child() -> None:
    """The parent decides when a batch stops (and keeps what finished); a worker never does."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


def _attempt_inherited(paths: Sequence[Path]) -> list[Outcome]:
    assert _worker is not None, "the pool's worker is set before the fork"
    return [attempt(_worker, path) for path in paths]


def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def run(paths: Sequence[Path], worker: Worker, *, jobs: int = 1) -> Iterator[Outcome]:
    """Outcomes in the order of ``paths``, each yielded as soon as it and those before it are done.

    ``jobs > 1`` forks one worker fewer than that (never more jobs than the CPUs or the
    files), this process being the last; where fork is not available the batch runs in
    this process.
    """
    workers = min(jobs, len(paths), os.cpu_count() or jobs)
    # What is loaded now (rule book, graph, modules) outlives the batch: out of the collector's
    # reach, collections neither walk it nor, in a forked worker, write to its pages (which fork
    # would then copy).
    thawed = gc.get_freeze_count() == 0
    gc.freeze()
    # A diagnosis allocates in bursts that reference counting frees (cycles are rare): young
    # collections every few hundred allocations would only re-walk the incident still in use.
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], YOUNG_THRESHOLD), *threshold[1:])
    try:
        if workers <= 1 or not can_fork():
            for path in paths:
                yield attempt(worker, path)
        else:
            yield from _forked(paths, worker, workers)
    finally:
        gc.set_threshold(*threshold)
        if thawed:
            gc.unfreeze()


def _forked(paths: Sequence[Path], worker: Worker, workers: int) -> Iterator[Outcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _worker
    _worker = worker
    # Small chunks keep the stream steady and the shares even; a few per job amortise the round trips.
    size = max(1, min(16, len(paths) // (workers * 16)))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    pool = ProcessPoolExecutor(
        max_workers=workers - 1, mp_context=multiprocessing.get_context("fork"), initializer=_init_child
    )
    try:
        futures = [pool.submit(_attempt_inherited, chunk) for chunk in chunks]
        here: dict[int, list[Outcome]] = {}  # chunks done in this process ahead of their turn
        last = len(chunks) - 1  # the last chunk a worker may not have started
        for i, future in enumerate(futures):
            # Workers take chunks in order: while the next one is under way, this process takes the
            # last one not started (a future not started can be cancelled), until they meet.
            while i not in here and not future.done() and last > i:
                if not futures[last].cancel():
                    last = i  # started: so is every chunk before it
                    break
                here[last] = [attempt(worker, path) for path in chunks[last]]
                last -= 1
            if i in here:
                yield from here.pop(i)
            elif future.cancel():
                yield from (attempt(worker, path) for path in chunks[i])
            else:
                yield from future.result()
    finally:
        # On an early stop (Ctrl-C, a closed pipe) the queued work is dropped, not waited for.
        pool.shutdown(wait=True, cancel_futures=True)
        _worker = None
