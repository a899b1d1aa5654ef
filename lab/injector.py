"""One injected anomaly: worker threads with their own connections, stopped on demand or by a deadline.

A failing test can never leave load running: every injector stops itself after
``MAX_SECONDS``. ``params`` records what was drawn for this run (sizes, threads,
query shapes).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lab.db import connect
from sources.live.dsn import Dsn

# No injector runs longer than this, whatever the caller forgets.
MAX_SECONDS = 120.0

Worker = Callable[[Any, threading.Event], None]


@dataclass
class Injector:
    """Worker threads, each with its own connection, running until stopped or out of time."""

    dsn: Dsn
    name: str
    workers: list[Worker]
    max_seconds: float = MAX_SECONDS
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started_at: float | None = None
    # Workers that open (and retry) their own connections: they get None instead of a connection.
    self_connecting: list[Worker] = field(default_factory=list)
    _timer: threading.Timer | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def start(self) -> float:
        """Start the workers; returns the wall-clock start time (the anomaly window's start)."""
        self.started_at = time.time()
        for i, work in enumerate(self.workers):
            t = threading.Thread(target=self._run, args=(work,), name=f"{self.name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._timer = threading.Timer(self.max_seconds, self._stop.set)
        self._timer.daemon = True
        self._timer.start()
        return self.started_at

    def _run(self, work: Worker) -> None:
        conn: Any = None
        try:
            if not any(work is own for own in self.self_connecting):
                conn = connect(self.dsn)
            work(conn, self._stop)
        except Exception as exc:  # a worker's failure is reported by stop(), never raised in a thread
            if not self._stop.is_set():
                self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.cancel()
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Injector:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def pace(stop: threading.Event, seconds: float) -> bool:
    """Sleep unless stopped; False once stopped."""
    return not stop.wait(seconds)
