"""A tiny made-up incident that a long-running process diagnoses once at start.

Diagnosing loads what no import at start-up does: numpy's lazily imported parts, the rule
engine's per-ruleset state, each statement dialect's parser. Paying that at start lets a
watcher's memory reach its working size before the first sample, so growth seen afterwards
is growth, and a rule book that cannot run fails before any server is watched.
"""

from __future__ import annotations

from models import Incident, Instance, MetricSeries, SqlDigest, TimeWindow
from models.incident import Engine

SAMPLES = 60
STEP_AT = 40
T0 = 1_700_000_000.0

# Each series: its resting level and its level after the step; the names are RDS's CloudWatch
# ones, which every engine's graph knows.
_SERIES = {
    "CPUUtilization": ("Percent", 20.0, 85.0),
    "DatabaseConnections": ("Count", 40.0, 120.0),
    "ReadIOPS": ("Count/Second", 300.0, 310.0),
    "WriteIOPS": ("Count/Second", 200.0, 190.0),
}


def warm_incident(engine: Engine) -> Incident:
    """A minute at 1 s in which the processors and the sessions step up two thirds of the way in."""
    stamps = [T0 + i for i in range(SAMPLES)]
    metrics = [
        MetricSeries(
            name=name,
            unit=unit,
            timestamps=stamps,
            values=[(after if i >= STEP_AT else before) + (i % 3) * 0.5 for i in range(SAMPLES)],
        )
        for name, (unit, before, after) in _SERIES.items()
    ]
    return Incident(
        id=f"preload-{engine}",
        instance=Instance(engine=engine),
        metrics=metrics,
        window=TimeWindow(start=stamps[STEP_AT], end=stamps[-1]),
        top_sql=[
            SqlDigest(
                digest="preload",
                text="SELECT o.id FROM orders o JOIN items i ON i.order_id = o.id WHERE o.state = 'open'",
                calls=1,
                total_time_ms=1.0,
            )
        ],
        source="preload",
    )
