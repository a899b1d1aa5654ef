"""Each metric's samples in robust standard units of its own normal rows, split into normal and abnormal.

DBSherlock partitions a metric's raw range; across incidents, recorded on
servers of other sizes and loads, raw values do not compare, so the rows are
first expressed as ``(value - baseline) / sigma`` with exactly the baseline and
sigma the signals use. A predicate mined here is then a bound on the window's
``score`` (its median in the same units), which is what a rule can test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from models import Incident, TimeWindow
from rules import stats
from rules.signals import MIN_INSIDE, MIN_OUTSIDE, SCALE_QUANTILE, _align, _group
from rules.stats import Matrix
from rules.window import warmup_length

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph

# A running total may fall at a glitched sample (a collector reading garbage), no more often than this.
GLITCH_SHARE = 0.02


@dataclass(frozen=True)
class Rows:
    """Canonical metric ids, their standardised samples (metrics x rows), and which rows are abnormal."""

    metrics: tuple[str, ...]
    z: Matrix
    abnormal: NDArray[np.bool_]


def standardised_rows(incident: Incident, window: TimeWindow, kg: KnowledgeGraph) -> Rows:
    """The incident's canonical metrics against ``window``; warm-up rows and running totals are left out.

    A running total grows through the whole recording, so its window differs
    from the rest only because the window sits in the middle of it: it says
    nothing about the cause and is dropped. It is told from a gauge that rose
    in the window and stayed up by growing before the window too.
    """
    series = [m for m in incident.metrics if m.values]
    if not series:
        return Rows((), np.zeros((0, 0)), np.zeros(0, dtype=bool))
    grid, raw = _align(series)
    grouped = _group(series, raw, kg)
    start = int(np.searchsorted(grid, window.start, side="left"))
    warm = min(warmup_length(grouped.values), start) if incident.has_warm_up else 0
    grid, values = grid[warm:], grouped.values[:, warm:]
    abnormal = (grid >= window.start) & (grid <= window.end)
    keep = np.array([kg.has_metric(m) for m in grouped.ids], dtype=bool)
    keep &= ~_running_totals(values, abnormal)
    normal_rows, window_rows = values[:, ~abnormal], values[:, abnormal]
    keep &= (stats.row_count(normal_rows) >= MIN_OUTSIDE) & (stats.row_count(window_rows) >= MIN_INSIDE)
    values = values[keep]
    baseline = stats.row_median(normal_rows[keep])
    anomaly = stats.row_median(window_rows[keep])
    mad = stats.row_mad(normal_rows[keep], baseline)
    # The signals' sigma, so that the window median of these rows is the signal's ``score``.
    scale = np.nan_to_num(
        np.maximum.reduce(
            [stats.row_quantile(np.abs(values), SCALE_QUANTILE), np.abs(baseline), np.abs(anomaly)]
        )
    )
    floor = 0.01 * scale + 1e-9
    sigma = np.maximum.reduce([stats.MAD_TO_SIGMA * np.nan_to_num(mad), 0.01 * np.abs(baseline), floor])
    z: Matrix = (values - baseline[:, None]) / sigma[:, None]
    metrics = tuple(m for m, k in zip(grouped.ids, keep, strict=True) if k)
    return Rows(metrics, z, abnormal)


def _running_totals(values: Matrix, abnormal: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Rows that never decrease (save an odd glitched sample) and were already growing before the window."""
    before = values[:, : int(np.argmax(abnormal))] if abnormal.any() else values
    out = np.zeros(values.shape[0], dtype=bool)
    for i, row in enumerate(values):
        present = row[~np.isnan(row)]
        lead = before[i][~np.isnan(before[i])]
        falls = float(np.mean(np.diff(present) < 0)) if present.size > 2 else 1.0
        out[i] = falls <= GLITCH_SHARE and lead.size > 1 and np.ptp(lead) > 0
    return out
