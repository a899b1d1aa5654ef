"""The sampling loop: one snapshot per interval, each kept as it arrives so a failure loses nothing.

Timestamps come from one wall-clock reading at the start plus a monotonic
clock, so a clock step during the capture cannot make a series go backwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from models import Incident, TimeWindow
from sources.live.builder import IncidentBuilder
from sources.live.dsn import Dsn, DsnError, parse_dsn
from sources.live.errors import CollectError, ConnectionLost, PartialCollection
from sources.live.sample import Collector, Sample

OnSample = Callable[[int, Sample], None]
# Statement digests are re-read every this many samples, so a capture cut short still has recent ones.
TOP_SQL_EVERY = 10


class Clock(Protocol):
    """Wall time for stamps, monotonic time for pacing; a fake in tests makes pacing exact."""

    def wall(self) -> float: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def open_collector(dsn: Dsn) -> Collector:
    """The collector for the DSN's engine family (postgresql:// or mysql:// / mariadb://).

    Drivers are imported here, not at module import, so commands that never touch a live
    server (``sleuth diagnose FILE``) do not pay for loading psycopg and PyMySQL.
    """
    if dsn.family == "postgres":
        from sources.live.postgres import PostgresCollector

        return PostgresCollector(dsn)
    from sources.live.mysql import MySqlCollector

    return MySqlCollector(dsn)


def sample_count(duration_s: float, interval_s: float) -> int:
    """Samples needed to cover ``duration_s``: one at the start and one per interval after it."""
    if interval_s <= 0 or duration_s < 0:
        raise CollectError(f"interval must be > 0 and duration >= 0 (got {interval_s:g} s, {duration_s:g} s)")
    return round(duration_s / interval_s) + 1


def collect(
    dsn: str | Dsn,
    duration_s: float,
    interval_s: float = 1.0,
    *,
    on_sample: OnSample | None = None,
    collector: Collector | None = None,
    clock: Clock | None = None,
    window: TimeWindow | None = None,
) -> Incident:
    """Sample a live server read-only for ``duration_s`` and return the capture as an incident.

    Raises ``CollectError`` (one line, no password) when nothing could be collected, and
    ``PartialCollection`` carrying the incident of every sample so far when the server goes away
    or the capture is interrupted.
    """
    try:
        parsed = dsn if isinstance(dsn, Dsn) else parse_dsn(dsn)
    except DsnError as exc:
        raise CollectError(str(exc)) from None
    count = sample_count(duration_s, interval_s)
    clk = clock or SystemClock()
    coll = collector or open_collector(parsed)
    try:
        info = coll.connect()
    except BaseException:
        coll.close()
        raise
    wall0, mono0 = clk.wall(), clk.monotonic()
    builder = IncidentBuilder(info=info, started=wall0, interval_s=interval_s, window=window)
    try:
        builder.settings = coll.settings()
        builder.first_top_sql = coll.top_sql()
        for index in range(count):
            due = mono0 + index * interval_s
            delay = due - clk.monotonic()
            if delay > 0:
                clk.sleep(delay)
            now = round(wall0 + (clk.monotonic() - mono0), 3)
            if builder.samples and now <= builder.samples[-1].time:
                now = builder.samples[-1].time + 0.001
            sample = coll.sample(now)
            builder.add(sample)
            if on_sample is not None:
                on_sample(index, sample)
            last = index == count - 1
            if last or (index + 1) % TOP_SQL_EVERY == 0:
                builder.last_top_sql = coll.top_sql() or builder.last_top_sql
        builder.notes = coll.notes()
        return builder.build()
    except ConnectionLost as exc:
        message = f"{exc.message}; kept {len(builder.samples)} sample(s)"
        builder.notes = coll.notes()
        raise PartialCollection(message, builder.build(stopped_early=message)) from None
    except KeyboardInterrupt:
        message = f"capture interrupted; kept {len(builder.samples)} sample(s)"
        builder.notes = coll.notes()
        raise PartialCollection(message, builder.build(stopped_early=message)) from None
    finally:
        coll.close()
