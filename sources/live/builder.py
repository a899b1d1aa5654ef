"""Turns a run of samples into an ``Incident``: counters become per-second rates, gauges stay levels.

Kept apart from the sampling loop so a partial capture (the server went away)
is built by exactly the same code as a complete one, and so the arithmetic is
tested without a server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import pairwise

from models import Incident, Instance, LockWait, LogExcerpt, MetricSeries, SqlDigest, TimeWindow
from sources.live.sample import Sample, ServerInfo

MAX_LOCK_WAITS = 500
MAX_TOP_SQL = 50
# (derived metric, numerator counter, denominator counter): ratios of deltas, in percent.
RATIOS: tuple[tuple[str, str, str], ...] = (
    ("pg_stat_database.blks_hit_ratio_pct", "pg_stat_database.blks_hit", "pg_stat_database.blks_total"),
)


def _unit(name: str, rate: bool) -> str:
    if name.endswith("_pct") or name.startswith("host.cpu_"):
        return "%"
    if rate:
        return "1/s"
    if name.endswith("_age"):
        return "s"
    return ""


def counter_rates(samples: list[Sample], name: str) -> tuple[list[float], list[float | None]]:
    """Per-second rate between consecutive samples; a reset (counter went down) or a gap gives ``None``."""
    times: list[float] = []
    values: list[float | None] = []
    for prev, cur in pairwise(samples):
        times.append(cur.time)
        a, b = prev.counters.get(name), cur.counters.get(name)
        dt = cur.time - prev.time
        values.append(None if a is None or b is None or b < a or dt <= 0 else (b - a) / dt)
    return times, values


def ratio_series(samples: list[Sample], num: str, den: str) -> tuple[list[float], list[float | None]]:
    """Percent of ``num``'s increase over ``den``'s, per interval (a hit ratio of the interval, not since boot)."""
    times: list[float] = []
    values: list[float | None] = []
    for prev, cur in pairwise(samples):
        times.append(cur.time)
        n0, n1, d0, d1 = (
            prev.counters.get(num),
            cur.counters.get(num),
            prev.counters.get(den),
            cur.counters.get(den),
        )
        if None in (n0, n1, d0, d1):
            values.append(None)
            continue
        assert n0 is not None and n1 is not None and d0 is not None and d1 is not None
        dn, dd = n1 - n0, d1 - d0
        values.append(100.0 * dn / dd if dd > 0 and 0 <= dn <= dd else None)
    return times, values


def digest_delta(first: list[SqlDigest], last: list[SqlDigest], limit: int = MAX_TOP_SQL) -> list[SqlDigest]:
    """The statements' load during the capture: last snapshot minus first, busiest first."""
    before = {d.digest: d for d in first}
    out: list[SqlDigest] = []
    for d in last:
        b = before.get(d.digest)
        if b is None:
            out.append(d)
            continue
        calls = d.calls - b.calls
        total = d.total_time_ms - b.total_time_ms
        if calls <= 0 or total < 0:
            continue

        def sub(x: int | None, y: int | None) -> int | None:
            return None if x is None else max(0, x - (y or 0))

        out.append(
            d.model_copy(
                update={
                    "calls": calls,
                    "total_time_ms": total,
                    "mean_time_ms": total / calls,
                    "rows_examined": sub(d.rows_examined, b.rows_examined),
                    "rows_sent": sub(d.rows_sent, b.rows_sent),
                    "rows_affected": sub(d.rows_affected, b.rows_affected),
                    "temp_disk_tables": sub(d.temp_disk_tables, b.temp_disk_tables),
                    "no_index_used": sub(d.no_index_used, b.no_index_used),
                    "shared_blks_read": sub(d.shared_blks_read, b.shared_blks_read),
                    "shared_blks_hit": sub(d.shared_blks_hit, b.shared_blks_hit),
                    "temp_blks_written": sub(d.temp_blks_written, b.temp_blks_written),
                    "plan_time_ms": None
                    if d.plan_time_ms is None
                    else max(0.0, d.plan_time_ms - (b.plan_time_ms or 0.0)),
                }
            )
        )
    out.sort(key=lambda d: d.total_time_ms, reverse=True)
    return out[:limit]


@dataclass
class IncidentBuilder:
    """Accumulates samples as they arrive, so whatever was collected can become an incident at any time."""

    info: ServerInfo
    started: float
    interval_s: float
    samples: list[Sample] = field(default_factory=list)
    first_top_sql: list[SqlDigest] = field(default_factory=list)
    last_top_sql: list[SqlDigest] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    window: TimeWindow | None = None

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    def metrics(self) -> list[MetricSeries]:
        """Every series on one timeline, from the second sample on.

        The first sample only primes the counters (a rate needs two readings); gauges start with
        the rates so no metric has a hole the others lack, which would read as a change of regime
        to the window inference.
        """
        series: list[MetricSeries] = []
        counters = sorted({n for s in self.samples for n in s.counters})
        gauges = sorted({n for s in self.samples for n in s.gauges})
        shown = self.samples[1:] if len(self.samples) >= 2 else self.samples
        for name in gauges:
            points = [(s.time, s.gauges.get(name)) for s in shown]
            series.append(
                MetricSeries(
                    name=name,
                    unit=_unit(name, rate=False),
                    timestamps=[t for t, _ in points],
                    values=[v for _, v in points],
                )
            )
        if len(self.samples) >= 2:
            taken = set(gauges)
            for name in counters:
                if name in taken:
                    continue
                times, values = counter_rates(self.samples, name)
                series.append(
                    MetricSeries(name=name, unit=_unit(name, rate=True), timestamps=times, values=values)
                )
            for name, num, den in RATIOS:
                if num in counters and den in counters:
                    times, values = ratio_series(self.samples, num, den)
                    series.append(MetricSeries(name=name, unit="%", timestamps=times, values=values))
        return series

    def lock_waits(self) -> list[LockWait]:
        waits = [w for s in self.samples for w in s.lock_waits]
        return waits[-MAX_LOCK_WAITS:]

    def build(self, *, stopped_early: str | None = None) -> Incident:
        engine = self.info.engine
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.started))
        logs = [LogExcerpt(time=self.started, level="warning", message=note) for note in self.notes]
        logs.insert(
            0,
            LogExcerpt(
                time=self.started,
                level="info",
                message=f"sleuth live capture: {len(self.samples)} samples every {self.interval_s:g} s "
                f"from {self.info.host}, read-only",
            ),
        )
        if stopped_early:
            logs.append(
                LogExcerpt(
                    time=self.samples[-1].time if self.samples else self.started,
                    level="error",
                    message=stopped_early,
                )
            )
        return Incident(
            id=f"live-{engine}-{stamp}",
            title=f"Live capture of {engine} {self.info.version} at {self.info.host}",
            instance=Instance(
                engine=engine,
                version=self.info.version or None,
                vcpu=self.info.vcpu,
                memory_gb=self.info.memory_gb,
                storage_type="local" if self.info.local else None,
                host=self.info.host,
            ),
            metrics=self.metrics(),
            window=self.window,
            top_sql=digest_delta(self.first_top_sql, self.last_top_sql) if self.last_top_sql else [],
            lock_waits=self.lock_waits(),
            logs=logs,
            settings=dict(self.settings),
            source=f"live:{engine}",
        )
