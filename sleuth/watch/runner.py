"""A fleet in one process: a thread per server, one notifier, a clean stop.

Sampling is waiting on the network, so threads carry a fleet well: the
rules' CPU work (a few tens of milliseconds per look) is what bounds how
many servers one core can watch at a given interval (``bench/bench_watch.py``).
``stop`` ends every loop at its next wait; each server says it stopped, its
state is already on disk, and nothing is left open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sleuth.watch.events import WatchEvent
from sleuth.watch.server import CollectorFactory, ServerStatus, ServerWatch, open_target
from sleuth.watch.targets import Target

if TYPE_CHECKING:
    from sleuth import Sleuth
    from sleuth.watch.spool import Spool

JOIN_S = 30.0


class FleetRunner:
    """Watches ``targets`` on threads until ``stop``; ``statuses`` is safe to call from any thread."""

    def __init__(
        self,
        app: Sleuth,
        targets: Sequence[Target],
        spool: Spool,
        emit: Callable[[WatchEvent], None],
        *,
        collector_factory: CollectorFactory = open_target,
    ) -> None:
        self._app, self._spool = app, spool
        self.stop_event = threading.Event()
        self.watches = [
            ServerWatch(t, app, spool, emit, collector_factory=collector_factory) for t in targets
        ]
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def start(self) -> None:
        if self.watches:
            self._app.preload(history=self._spool.history)
        for watch in self.watches:
            thread = threading.Thread(
                target=self._run, args=(watch,), name=f"watch-{watch.target.name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _run(self, watch: ServerWatch) -> None:
        try:
            watch.run(self.stop_event)
        except Exception as exc:  # one server's bug must not end the fleet; it is said, not hidden
            self.errors.append(f"{watch.target.name}: {type(exc).__name__}: {exc}")
            raise

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float = JOIN_S) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def statuses(self) -> list[ServerStatus]:
        return [w.status() for w in self.watches]

    def now(self) -> float:
        """The clock the statuses' sample times are on (the fleet screen measures ages with it)."""
        return time.time()

    def wait(self, seconds: float | None = None) -> bool:
        """Block until stopped (or ``seconds`` pass); True when stopped."""
        return self.stop_event.wait(seconds)
