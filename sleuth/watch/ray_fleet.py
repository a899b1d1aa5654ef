"""A fleet beyond one process: the servers sharded over Ray actors, one shared history.

Each actor runs the same ``FleetRunner`` as a single process does, over its
shard, and writes incidents to the one history every shard shares
(PostgreSQL for a team; SQLite is fine on one machine). The driver polls the
actors for their events and statuses and notifies from one place, so the
fleet's rate limit is one limit. Ray schedules, restarts and places the
actors; nothing here is a scheduler.

Ray is an optional extra (``pip install 'sleuth[ray]'``); it is imported only
when a fleet runs on it. ``address`` is ``None`` for a local Ray (started on
this machine, no dashboard) or a cluster's address (``ray://head:10001`` or
``auto``); the actors then need sleuth installed on the cluster's nodes, and
the incident and state directories on storage they share.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.watch.events import WatchEvent
from sleuth.watch.server import ServerStatus
from sleuth.watch.targets import Target

if TYPE_CHECKING:
    from sleuth._settings import Settings

POLL_S = 0.5
JOIN_S = 60.0
LOCAL_CPUS = 2


def shards(targets: Sequence[Target], count: int) -> list[list[Target]]:
    """``count`` shards of about equal size, each server in exactly one (round robin, in fleet order)."""
    count = max(1, min(count, len(targets)))
    out: list[list[Target]] = [[] for _ in range(count)]
    for i, target in enumerate(targets):
        out[i % count].append(target)
    return out


class _Shard:
    """Runs in a Ray actor: one shard's ``FleetRunner``; events wait in a list until the driver drains them."""

    def __init__(
        self, settings: Settings, targets: list[Target], incidents: str, state: str, history: bool
    ) -> None:
        from sleuth import Sleuth

        self._app = Sleuth(settings)
        self._events: list[WatchEvent] = []
        self._lock = threading.Lock()
        spool = self._app.watch_spool(incidents=Path(incidents), state=Path(state), history=history)
        self._runner = self._app.watcher(targets, spool, self._keep)

    def _keep(self, event: WatchEvent) -> None:
        with self._lock:
            self._events.append(event)

    def start(self) -> int:
        self._runner.start()
        return len(self._runner.watches)

    def drain(self) -> tuple[list[WatchEvent], list[ServerStatus], list[str]]:
        with self._lock:
            events, self._events = self._events, []
        return events, self._runner.statuses(), list(self._runner.errors)

    def stop(self) -> tuple[list[WatchEvent], list[ServerStatus], list[str]]:
        self._runner.stop()
        self._runner.join()
        self._app.history.close()
        return self.drain()


class RayFleet:
    """The fleet on ``actors`` Ray actors, with ``FleetRunner``'s interface (start, stop, join, statuses)."""

    def __init__(
        self,
        settings: Settings,
        targets: Sequence[Target],
        *,
        incidents: Path,
        state: Path,
        history: bool,
        emit: Callable[[WatchEvent], None],
        actors: int = 2,
        address: str | None = None,
    ) -> None:
        self._settings = settings
        self._targets = list(targets)
        self._incidents = incidents
        self._state = state
        self._history = history
        self._emit = emit
        self._count = actors
        self._address = address
        self.stop_event = threading.Event()
        self._actors: list[Any] = []
        self._statuses: dict[str, ServerStatus] = {}
        self._lock = threading.Lock()
        self._poller: threading.Thread | None = None
        self._started_ray = False
        self.errors: list[str] = []

    def start(self) -> None:
        import ray

        if not ray.is_initialized():
            if self._address is None:
                ray.init(
                    num_cpus=LOCAL_CPUS,
                    include_dashboard=False,
                    configure_logging=False,
                    log_to_driver=False,
                )
            else:
                ray.init(address=self._address, configure_logging=False, log_to_driver=False)
            self._started_ray = True
        # Sampling waits on the network: an actor needs no whole CPU of its own.
        shard_actor = ray.remote(num_cpus=0)(_Shard)
        for part in shards(self._targets, self._count):
            actor = shard_actor.remote(
                self._settings, part, str(self._incidents), str(self._state), self._history
            )
            self._actors.append(actor)
        ray.get([a.start.remote() for a in self._actors])
        self._poller = threading.Thread(target=self._poll, name="ray-fleet-poll", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        import ray

        while not self.stop_event.wait(POLL_S):
            self._take(ray.get([a.drain.remote() for a in self._actors]))

    def _take(self, answers: list[tuple[list[WatchEvent], list[ServerStatus], list[str]]]) -> None:
        for events, statuses, errors in answers:
            with self._lock:
                for status in statuses:
                    self._statuses[status.name] = status
                self.errors = sorted(set(self.errors) | set(errors))
            for event in events:
                self._emit(event)

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float = JOIN_S) -> None:
        import ray

        if self._poller is not None:
            self._poller.join(timeout)
        if self._actors:
            self._take(ray.get([a.stop.remote() for a in self._actors], timeout=timeout))
            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False

    def alive(self) -> bool:
        return not self.stop_event.is_set()

    def now(self) -> float:
        return time.time()

    def wait(self, seconds: float | None = None) -> bool:
        return self.stop_event.wait(seconds)

    def statuses(self) -> list[ServerStatus]:
        with self._lock:
            return [self._statuses[t.name] for t in self._targets if t.name in self._statuses]
