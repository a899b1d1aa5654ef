"""The sampling loop: one snapshot per interval, each kept as it arrives so a failure loses nothing.

Timestamps come from one wall-clock reading at the start plus a monotonic
clock, so a clock step during the capture cannot make a series go backwards.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Protocol

from models import Incident, TimeWindow
from sources.live.builder import IncidentBuilder
from sources.live.dsn import Dsn, DsnError, parse_dsn
from sources.live.errors import CollectError, ConnectionLost, PartialCollection
from sources.live.sample import Collector, Sample
from sources.live.sqltext import dialect_of
from sources.live.workload import plan_candidates, tables_touched

OnSample = Callable[[int, Sample], None]


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


def open_collector(
    dsn: Dsn, *, mask_literals: bool = True, statement_timeout_ms: int | None = None
) -> Collector:
    """The collector for the DSN's engine family (postgresql:// or mysql:// / mariadb://).

    Drivers are imported here, not at module import, so commands that never touch a live
    server (``sleuth diagnose FILE``) do not pay for loading psycopg and PyMySQL.
    ``mask_literals=False`` keeps the literals of the statement texts the server shows (lock
    waiters and blockers); by default they are replaced by ``?`` before anything is stored.
    ``statement_timeout_ms`` bounds each catalogue query tighter than the sessions' default, for
    a watcher sampling every second that must not stall behind one slow catalogue read.
    """
    timeout = statement_timeout_ms
    if dsn.family == "postgres":
        from sources.live.postgres import PostgresCollector
        from sources.live.postgres.session import PgSession

        pg = None if timeout is None else functools.partial(PgSession, statement_timeout_ms=timeout)
        return PostgresCollector(dsn, mask_literals=mask_literals, session_factory=pg)
    from sources.live.mysql import MySqlCollector
    from sources.live.mysql.session import MySqlSession

    my = None if timeout is None else functools.partial(MySqlSession, statement_timeout_ms=timeout)
    return MySqlCollector(dsn, mask_literals=mask_literals, session_factory=my)


# Each snapshot runs a few dozen catalogue queries (docs/LIVE.md): below 100 ms the capture would
# become part of the load it measures, and no counter of interest moves faster than that.
MIN_INTERVAL_S = 0.1


def sample_count(duration_s: float, interval_s: float) -> int:
    """Samples needed to cover ``duration_s``: one at the start and one per interval after it."""
    if not (math.isfinite(interval_s) and math.isfinite(duration_s)) or duration_s < 0:
        raise CollectError(
            f"duration must be 0 s or more and both finite (got {duration_s:g} s every {interval_s:g} s)"
        )
    if interval_s < MIN_INTERVAL_S:
        raise CollectError(f"interval must be at least {MIN_INTERVAL_S * 1000:g} ms (got {interval_s:g} s)")
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
    mask_literals: bool = True,
) -> Incident:
    """Sample a live server read-only for ``duration_s`` and return the capture as an incident.

    Statement texts are stored with literals masked unless ``mask_literals`` is False.

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
    coll = collector or open_collector(parsed, mask_literals=mask_literals)
    try:
        info = coll.connect()
    except BaseException:
        coll.close()
        raise
    wall0, mono0 = clk.wall(), clk.monotonic()
    builder = IncidentBuilder(info=info, started=wall0, interval_s=interval_s, window=window)
    try:
        builder.settings = coll.settings()
        builder.start_tables = coll.table_readings()
        for index in range(count):
            due = mono0 + index * interval_s
            delay = due - clk.monotonic()
            if index and -delay > interval_s / 2:
                # A slow server made this slot late: skip it rather than catch up in a burst of
                # snapshots, and never sample past the duration asked for.
                continue
            if delay > 0:
                clk.sleep(delay)
            now = round(wall0 + (clk.monotonic() - mono0), 3)
            if builder.samples and now <= builder.samples[-1].time:
                now = builder.samples[-1].time + 0.001
            sample = coll.sample(now)
            builder.add(sample)
            if on_sample is not None:
                on_sample(len(builder.samples) - 1, sample)
        unfinished = _finish(coll, builder)
        builder.notes = [*coll.notes(), *unfinished]
        return builder.build()
    except ConnectionLost as exc:
        message = f"{exc.message}; kept {len(builder.samples)} sample(s)"
        builder.notes = coll.notes()
        raise PartialCollection(message, builder.build(stopped_early=message)) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or a stop signal the caller turned into one
        message = f"capture {str(exc) or 'interrupted'}; kept {len(builder.samples)} sample(s)"
        builder.notes = coll.notes()
        raise PartialCollection(message, builder.build(stopped_early=message)) from None
    finally:
        coll.close()


def _finish(coll: Collector, builder: IncidentBuilder) -> list[str]:
    """After the last sample: the heavy statements' tables and plans, read once; notes on failure.

    The server going away now costs only these sections; every sample is already kept.
    """
    dialect = dialect_of(builder.info.engine)
    activity = builder.statements()
    try:
        builder.end_tables = coll.table_readings()
        builder.table_details = coll.table_details(tables_touched(activity, dialect))
        builder.plans = coll.plans(plan_candidates(activity, dialect))
    except ConnectionLost as exc:
        return [f"tables and plans: not collected ({exc.message})"]
    return []
