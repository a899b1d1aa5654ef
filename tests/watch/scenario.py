"""Anomalies injected while ``sleuth watch`` runs: what it notified, how soon, with which top cause.

The watcher runs as ``sleuth watch`` runs it (``Sleuth.watcher``: a thread per
server, the real collectors through the monitoring accounts) while the lab's
steady background workload runs on every server. Each round injects one
anomaly per server at the same moment, keeps it going until the watcher has
said something (or a deadline), stops it, waits for the resolution, and lets
the servers run normally again before the next round, so each incident has a
baseline of its own.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lab.db import lab_dsn
from lab.injector import Injector
from lab.injectors import ANOMALIES, background, prepare
from sleuth import Sleuth, load_settings
from sleuth.watch import FleetRunner, Target, Tuning, WatchEvent
from tests.live.scenario import EXPECTED

# Test tuning: two samples a second, a short view; the defaults (1 s, 3 min) are the benchmark's.
FAST = Tuning(
    interval_s=0.5, view_s=30.0, settle_s=3.0, max_incident_s=120.0, rediagnose_s=5.0, planner="never"
)


@dataclass
class Events:
    """Every event the watcher emitted, with a way to wait for one."""

    seen: list[WatchEvent] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: WatchEvent) -> None:
        with self._cond:
            self.seen.append(event)
            self._cond.notify_all()

    def wait_for(self, kind: str, server: str, after: float, timeout_s: float) -> WatchEvent | None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                found = next(
                    (e for e in self.seen if e.kind == kind and e.server == server and e.time >= after), None
                )
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self._cond.wait(left)

    def kinds(self, server: str) -> list[str]:
        return [e.kind for e in self.seen if e.server == server]


@dataclass(frozen=True)
class Server:
    name: str
    monitor: str
    admin: str

    @property
    def engine(self) -> str:
        return "postgres" if self.monitor.startswith("postgres") else "mysql"


@dataclass
class Outcome:
    server: str
    anomaly: str
    injected: float
    opened: WatchEvent | None
    resolved: WatchEvent | None
    params: dict[str, object]
    errors: list[str]

    @property
    def latency_s(self) -> float | None:
        return None if self.opened is None else self.opened.time - self.injected

    @property
    def right(self) -> bool:
        want = EXPECTED[self.anomaly]
        return (
            self.opened is not None
            and self.opened.top in want
            and self.resolved is not None
            and self.resolved.top in want
        )

    def line(self) -> str:
        lat = "—" if self.latency_s is None else f"{self.latency_s:.1f} s"
        final = self.resolved.top if self.resolved else None
        first = self.opened.top if self.opened else None
        return f"{self.anomaly} on {self.server}: first notification {lat}, top {first} → {final}, params {self.params}"


@contextmanager
def watching(
    servers: Sequence[Server], tmp: Path, tuning: Tuning = FAST, *, history: Path | None = None
) -> Iterator[tuple[FleetRunner, Events, list[Injector]]]:
    """The watcher over ``servers`` with the background workload on each, stopped whatever happens."""
    loads: list[Injector] = []
    for server in servers:
        admin = lab_dsn(server.admin)
        prepare(admin)
        load = background(admin, max_seconds=3600)
        load.start()
        loads.append(load)
    app = Sleuth(load_settings(history={"url": f"sqlite:///{history or tmp / 'history.sqlite'}"}))
    spool = app.watch_spool(incidents=tmp / "incidents", state=tmp / "state")
    events = Events()
    runner = app.watcher([Target(s.name, s.monitor, ("lab",), tuning) for s in servers], spool, events)
    try:
        time.sleep(2.0)  # the workload settles before the first sample
        runner.start()
        yield runner, events, loads
    finally:
        runner.stop()
        runner.join()
        for load in loads:
            load.stop()
        app.history.close()


Round = list[tuple["Server", str, Injector]]


def armed(cases: Sequence[tuple[Server, str]], *, seed: int) -> Round:
    """Each (server, anomaly) with its injector built: its tables created and filled now, so that
    setting it up is part of the baseline that follows, not of the anomaly."""
    return [
        (server, anomaly, ANOMALIES[anomaly].make(lab_dsn(server.admin), random.Random(seed + i)))
        for i, (server, anomaly) in enumerate(cases)
    ]


def watched_round(
    events: Events,
    armed_round: Round,
    *,
    notice_s: float = 40.0,
    hold_s: float = 6.0,
    end_s: float = 60.0,
) -> list[Outcome]:
    """Inject each armed anomaly at once; hold each until notified plus ``hold_s``; wait for the ends."""
    injectors = [(server, anomaly, injector, injector.start()) for server, anomaly, injector in armed_round]
    opened: dict[str, WatchEvent | None] = {}
    try:
        for server, _anomaly, _injector, started in injectors:
            opened[server.name] = events.wait_for("opened", server.name, started, notice_s)
        time.sleep(hold_s)
    finally:
        for _server, _anomaly, injector, _started in injectors:
            injector.stop()
    outcomes = []
    for server, anomaly, injector, started in injectors:
        first = opened[server.name]
        resolved = None
        if first is not None:
            resolved = next(
                (e for e in events.seen if e.kind == "resolved" and e.incident == first.incident), None
            ) or events.wait_for("resolved", server.name, started, end_s)
        outcomes.append(
            Outcome(server.name, anomaly, started, first, resolved, injector.params, injector.errors)
        )
    return outcomes
