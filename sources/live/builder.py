"""Turns a run of samples into an ``Incident``: counters become per-second rates, gauges stay levels.

Kept apart from the sampling loop so a partial capture (the server went away)
is built by exactly the same code as a complete one, and so the arithmetic is
tested without a server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import pairwise

from models import (
    Incident,
    Instance,
    LockWait,
    LogExcerpt,
    MetricSeries,
    StatementActivity,
    StatementPlan,
    TableInfo,
    TimeWindow,
)
from models.incident import LIVE_SOURCE
from sources.live.sample import Sample, ServerInfo, TableReading
from sources.live.workload import statement_activity, table_infos, top_sql

MAX_LOCK_WAITS = 500
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


@dataclass
class IncidentBuilder:
    """Accumulates samples as they arrive, so whatever was collected can become an incident at any time."""

    info: ServerInfo
    started: float
    interval_s: float
    samples: list[Sample] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    start_tables: list[TableReading] = field(default_factory=list)
    end_tables: list[TableReading] = field(default_factory=list)
    table_details: list[TableInfo] = field(default_factory=list)
    plans: list[StatementPlan] = field(default_factory=list)
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

    def statements(self) -> list[StatementActivity]:
        return statement_activity(self.samples)

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
        activity = self.statements()
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
            top_sql=top_sql(activity),
            lock_waits=self.lock_waits(),
            logs=logs,
            settings=dict(self.settings),
            statements=activity,
            tables=table_infos(self.table_details, self.start_tables, self.end_tables),
            plans=list(self.plans),
            source=f"{LIVE_SOURCE}{engine}",
        )
