"""Many incident files, diagnosed in order, streamed as each is done, never stopping at a bad one.

With several jobs the workers are forked *after* the rule book and the graph
are loaded and compiled, so each inherits them instead of loading its own
(loading costs more than diagnosing a DBSherlock incident). This process is
one of the jobs, and what it diagnoses itself is never pickled through a pipe
(sending a diagnosis back costs a tenth of making it). Every job claims the
next few files whenever it is free, from a counter the jobs share, so no job
sits idle while files wait queued for another; the files of a worker that
dies are diagnosed here.
A caller that only prints each diagnosis has the worker render it: the text
is what comes back, cheaper to send than the diagnosis and made in parallel.
Workers ignore SIGINT, SIGTERM and SIGHUP: they reach the parent, which keeps
what finished and stops the rest. Results come back in the order of the paths,
so output is stable.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

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


def _attempt_all(worker: Worker, paths: Sequence[Path]) -> list[Outcome]:
    """One chunk's outcomes, wherever it is diagnosed."""
    return [attempt(worker, path) for path in paths]


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

    global _worker
    _worker = worker
    # Small chunks keep the stream steady and the shares even (a job is idle at the end for at
    # most the chunk another is finishing); a few files each amortise the claims and the sends.
    size = max(1, min(CHUNK, len(paths) // (workers * 16)))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    context = multiprocessing.get_context("fork")
    claims = _Claims(context, len(chunks))
    results: Results = queue.SimpleQueue()
    for stream in (sys.stdout, sys.stderr):  # a forked copy of unwritten output would be written twice
        stream.flush()
    children = [_Child.fork(context, claims, job, chunks) for job in range(1, workers)]
    for child in children:  # the readers start after every fork: no child inherits a running thread
        child.listen(results)
    here: dict[int, list[Outcome]] = {}  # chunks done, not yet yielded
    done: set[int] = set()  # chunks done, yielded or not
    lost: list[int] = []  # chunks a worker claimed and ended before sending
    try:
        for i in range(len(chunks)):
            while i not in here:
                _receive(results, here, done, lost, claims, wait=False)
                if i in here:
                    break
                # while chunk i is under way in a worker, this process does one a worker left
                # undone, or the next one unclaimed; with none left, it waits for the workers
                k = lost.pop() if lost else claims.claim(0)
                if k is None:
                    _receive(results, here, done, lost, claims, wait=True)
                    continue
                here[k] = _attempt_all(worker, chunks[k])
                done.add(k)
            yield from here.pop(i)
    finally:
        # On an early stop (Ctrl-C, a closed pipe) no chunk is claimed any more, and a worker's
        # current chunk is dropped rather than waited for long.
        claims.close()
        for child in children:
            child.stop()
        _worker = None


# The most files in one claim: about 15 ms of work for a DBSherlock incident.
CHUNK = 4

# What a worker's reader passes on: a chunk's number and outcomes, or the worker's job number once
# it has ended (finished, died or stopped).
Results: TypeAlias = "queue.SimpleQueue[tuple[int, list[Outcome]] | int]"


class _Claims:
    """The next chunk to claim, and which job claimed each, in memory the jobs share.

    A job claims the next chunk whenever it is free, so the shares follow each job's speed and no
    chunk waits queued behind another job's; who claimed a chunk says what a worker that died
    left undone.
    """

    def __init__(self, context: Any, chunks: int) -> None:
        self.chunks = chunks
        self.next = context.Value("q", 0)
        self.owner = context.RawArray("i", chunks)

    def claim(self, job: int) -> int | None:
        with self.next.get_lock():
            k = int(self.next.value)
            if k >= self.chunks:
                return None
            self.next.value = k + 1
            self.owner[k] = job
            return k

    def close(self) -> None:
        with self.next.get_lock():
            self.next.value = self.chunks

    def claimed_by(self, job: int) -> list[int]:
        with self.next.get_lock():
            claimed = min(int(self.next.value), self.chunks)
        return [k for k in range(claimed) if self.owner[k] == job]


@dataclass
class _Child:
    """A forked job, and the thread that receives its chunks as they come, so the worker never
    waits on a full pipe while this process diagnoses."""

    job: int
    process: Any
    pipe: Any
    reader: threading.Thread | None = None

    @classmethod
    def fork(cls, context: Any, claims: _Claims, job: int, chunks: list[Sequence[Path]]) -> _Child:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(claims, job, chunks, send), daemon=True)
        process.start()
        send.close()
        return cls(job, process, receive)

    def listen(self, results: Results) -> None:
        self.reader = threading.Thread(target=_read, args=(self.pipe, self.job, results), daemon=True)
        self.reader.start()

    def stop(self) -> None:
        self.process.join(timeout=STOP_WAIT)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        if self.reader is not None:
            self.reader.join()


# How often this process, waiting on the workers, looks for a signal to act on.
SIGNAL_CHECK = 0.05

# How long a stopped batch waits for a worker to send the chunk it is on.
STOP_WAIT = 0.5


def _work(claims: _Claims, job: int, chunks: list[Sequence[Path]], send: Any) -> None:
    """A worker: the next chunk unclaimed until there is none, each sent back when done."""
    _init_child()
    assert _worker is not None, "the pool's worker is set before the fork"
    while (k := claims.claim(job)) is not None:
        send.send((k, _attempt_all(_worker, chunks[k])))
    send.close()


def _read(pipe: Any, job: int, results: Results) -> None:
    try:
        while True:
            results.put(pipe.recv())
    except (EOFError, OSError, pickle.UnpicklingError):
        pass  # ended: finished, died mid-chunk or stopped
    finally:
        pipe.close()
        results.put(job)


def _receive(
    results: Results,
    here: dict[int, list[Outcome]],
    done: set[int],
    lost: list[int],
    claims: _Claims,
    *,
    wait: bool,
) -> None:
    """Keep every chunk the workers have sent (waiting for one message first when ``wait``), and
    add to ``lost`` what a worker that ended had claimed and not sent."""
    while True:
        try:
            # in short waits: a signal (Ctrl-C) may reach a reader thread, and this one would not
            # see it until its wait ended
            message = results.get(timeout=SIGNAL_CHECK) if wait else results.get_nowait()
        except queue.Empty:
            if wait:
                continue
            return
        wait = False
        if isinstance(message, int):
            lost.extend(k for k in claims.claimed_by(message) if k not in done)
        else:
            k, outcomes = message
            here[k] = outcomes
            done.add(k)
