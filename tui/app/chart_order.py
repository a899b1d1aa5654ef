"""Which metrics to draw first: the ones whose signal moved most, so the anomaly is on screen at once.

An incident can carry hundreds of series (DBSherlock has one per CPU core);
the DBA looks at the few that changed. Signals are named by canonical metric
id, series by vendor name, so the knowledge graph's alias table joins them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models import Fact, MetricSeries


def _strength(signal: Fact) -> float:
    score = signal.attrs.get("score", 0.0)
    return abs(score) if isinstance(score, float | int) and not isinstance(score, bool) else 0.0


def order_series(
    metrics: list[MetricSeries], canonical: dict[str, str | None], signals: list[Fact]
) -> list[tuple[MetricSeries, Fact | None]]:
    """Series with a signal first (strongest robust z first), then the rest in file order."""
    by_metric = {s.name: s for s in signals if s.kind == "signal"}
    paired = [(series, by_metric.get(canonical.get(series.name) or series.name)) for series in metrics]
    moved = [p for p in paired if p[1] is not None]
    moved.sort(key=lambda p: -_strength(p[1]) if p[1] is not None else 0.0)
    return moved + [p for p in paired if p[1] is None]
