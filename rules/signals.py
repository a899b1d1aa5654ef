"""Signals: what each metric did in the anomaly window compared with normal operation.

This is the code half of "signals are code, not LLM": every metric of an
incident becomes one ``Fact(kind="signal")`` whose numbers the rules test and
the explanations quote. Robust statistics (median, MAD) keep one odd sample
from deciding a diagnosis; every metric gets a fact, flat ones included, so
WHY-NOT can say "disk_util stayed at 41 %" instead of "absent".

Shapes (the temporal form of the change; ``direction`` says which way):

- ``level_shift``: the window's median moved away from the baseline and stayed;
- ``trend``: a sustained move that ramps through the window;
- ``saturation``: a sustained rise of a percentage to its ceiling (>= 90 %);
- ``spike`` / ``drop``: a brief excursion up / down — the median barely moved
  but several samples sit far outside the normal range;
- ``flat``: nothing distinguishable from normal noise.

Everything is computed on one (metrics x samples) matrix so ~100 metrics of
~150 samples cost well under a few milliseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from models import Fact, Incident, MetricSeries, TimeWindow
from rules import stats
from rules.stats import Matrix, Vector
from rules.window import infer_window, warmup_length

# A move must clear both a robust z-score and a relative change to have a direction:
# the z-score rejects noise, the relative change rejects tiny moves of very steady metrics.
DIRECTION_SCORE = 3.0
DIRECTION_REL = 0.05
# A brief excursion needs a much larger z-score, reached by at least two samples.
EXCURSION_SCORE = 6.0
EXCURSION_SAMPLES = 2
TREND_CORRELATION = 0.7
SATURATION_PERCENT = 90.0
MIN_INSIDE = 2
MIN_OUTSIDE = 3
# Scales of the smooth confidence: |score| 2.5 and a relative change of 25 % give ~0.76 each,
# so a median that fell to zero from a noisy baseline (|score| ~2) still reads as likely real.
CONFIDENCE_SCORE_SCALE = 2.5
CONFIDENCE_REL_SCALE = 0.25
# Brief excursions are weaker evidence than sustained moves.
EXCURSION_WEIGHT = 0.7
EXCURSION_SHARE_SCALE = 0.2
SCALE_QUANTILE = 0.95
_PERCENT_UNITS = frozenset({"%", "percent", "pct"})
# Headroom metrics (idle CPU, free memory) at 100 % are the opposite of saturated.
_HEADROOM_WORDS = ("idle", "free", "available")


class MetricInfoLike(Protocol):
    @property
    def aggregate(self) -> str: ...

    @property
    def unit(self) -> str: ...


class AliasLike(Protocol):
    @property
    def metric(self) -> str: ...

    @property
    def scale(self) -> float: ...


class MetricCatalog(Protocol):
    """The part of the knowledge graph signals need; a protocol so tests can pass a small table.

    ``resolve_alias`` rather than ``resolve_metric`` because a vendor column may
    be in another unit (DBSherlock's KB/s vs bytes/s) and its scale must be
    applied before columns are combined.
    """

    def resolve_alias(self, vendor_name: str) -> AliasLike | None: ...

    def metric_info(self, metric_id: str) -> MetricInfoLike: ...


@dataclass(frozen=True)
class SignalSet:
    """The signal facts of one incident and the window they were computed against."""

    facts: list[Fact]
    window: TimeWindow
    inferred: bool
    skipped: list[str] = field(default_factory=list)

    def get(self, metric_id: str) -> Fact | None:
        return next((f for f in self.facts if f.name == metric_id), None)


class SignalError(ValueError):
    """The incident has no usable metrics (nothing to compare)."""


@dataclass(frozen=True)
class _Grouped:
    ids: list[str]
    sources: list[str]
    units: list[str]
    values: Matrix


def extract_signals(incident: Incident, kg: MetricCatalog, infer_window: bool = False) -> SignalSet:
    """One signal fact per canonical metric, baseline (outside) vs anomaly (inside the window).

    The window is the incident's own unless it has none or ``infer_window`` is
    set; then it is found from the data and ``SignalSet.inferred`` says so.
    """
    metrics = [m for m in incident.metrics if m.values]
    if not metrics:
        raise SignalError(f"incident {incident.id} has no metric samples")
    grid, raw = _align(metrics)
    grouped = _group(metrics, raw, kg)
    window = None if infer_window else incident.window
    warm = warmup_length(grouped.values)
    if window is not None:
        # Never discard samples the labelled window claims as anomalous.
        warm = min(warm, int(np.searchsorted(grid, window.start, side="left")))
    grid, values = grid[warm:], grouped.values[:, warm:]
    inferred = window is None
    if window is None:
        window = infer_window_from(grid, values)
    facts, skipped = _compare(grid, values, grouped, window)
    return SignalSet(facts=facts, window=window, inferred=inferred, skipped=skipped)


def infer_window_from(grid: Vector, values: Matrix) -> TimeWindow:
    """The inferred window in the incident's clock (the grid's timestamps)."""
    start, end = infer_window(values)
    return TimeWindow(start=float(grid[start]), end=float(grid[end]))


def sanitize_metric_name(name: str) -> str:
    """A vendor name the graph does not know, made into a safe fact name (kept, never dropped)."""
    clean = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "metric"
    return f"m_{clean}" if clean[0].isdigit() else clean


def _align(metrics: Sequence[MetricSeries]) -> tuple[Vector, Matrix]:
    """Put every series on one time grid (union of timestamps), NaN where a series has no sample."""
    first = metrics[0].timestamps
    if all(m.timestamps == first for m in metrics):
        values = np.array([m.values for m in metrics], dtype=np.float64)
        return np.asarray(first, dtype=np.float64), values
    grid = np.unique(np.concatenate([np.asarray(m.timestamps, dtype=np.float64) for m in metrics]))
    out = np.full((len(metrics), grid.size), np.nan)
    for i, m in enumerate(metrics):
        cols = np.searchsorted(grid, np.asarray(m.timestamps, dtype=np.float64))
        out[i, cols] = np.array(m.values, dtype=np.float64)
    return grid, out


def _group(metrics: Sequence[MetricSeries], raw: Matrix, kg: MetricCatalog) -> _Grouped:
    """Map vendor names to canonical ids and aggregate columns that share one (per-core CPU)."""
    aliases = [kg.resolve_alias(m.name) for m in metrics]
    canonical_ids = {a.metric for a in aliases if a is not None}
    members: dict[str, list[int]] = {}
    mapped: dict[str, bool] = {}
    scaled = raw
    for i, (m, alias) in enumerate(zip(metrics, aliases, strict=True)):
        if alias is not None:
            key = alias.metric
            if alias.scale != 1.0:
                scaled = raw.copy() if scaled is raw else scaled
                scaled[i] *= alias.scale
        else:
            key = sanitize_metric_name(m.name)
            # an unknown name must never pose as (or merge into) a canonical metric
            key = f"{key}_unmapped" if key in canonical_ids else key
        members.setdefault(key, []).append(i)
        mapped[key] = alias is not None
    ids: list[str] = []
    sources: list[str] = []
    units: list[str] = []
    rows: list[Vector] = []
    for key, idx in members.items():
        names = ", ".join(metrics[i].name for i in idx)
        unit = metrics[idx[0]].unit
        how = "mean"
        if mapped[key]:
            info = kg.metric_info(key)
            how, unit = info.aggregate, info.unit or unit
            sources.append(f"signals: {names}")
        else:
            sources.append(f"signals: unmapped vendor metric {names}")
        ids.append(key)
        units.append(unit)
        rows.append(scaled[idx[0]] if len(idx) == 1 else _aggregate(scaled[idx], how))
    return _Grouped(ids=ids, sources=sources, units=units, values=np.vstack(rows))


def _aggregate(block: Matrix, how: str) -> Vector:
    present = ~np.isnan(block)
    any_present = present.any(axis=0)
    filled = np.where(present, block, 0.0)
    if how == "sum":
        out = filled.sum(axis=0)
    elif how == "max":
        out = np.where(present, block, -np.inf).max(axis=0)
    else:
        out = filled.sum(axis=0) / np.maximum(present.sum(axis=0), 1)
    result: Vector = np.where(any_present, out, np.nan)
    return result


@dataclass(frozen=True)
class _Moves:
    """Per-metric statistics of one incident, each an array over metrics."""

    n_in: NDArray[np.int64]
    n_out: NDArray[np.int64]
    baseline: Vector
    anomaly: Vector
    peak: Vector
    delta: Vector
    ratio: Vector
    score: Vector
    rel: Vector
    peak_score: Vector
    peak_rel: Vector
    trough_score: Vector
    trough_rel: Vector
    n_high: Vector
    n_low: Vector
    corr: Vector


def _measure(values: Matrix, lo: int, hi: int) -> _Moves:
    """Baseline (outside columns lo..hi-1) against anomaly (inside) for every metric at once."""
    inside = values[:, lo:hi]
    outside = np.concatenate([values[:, :lo], values[:, hi:]], axis=1)
    n_in = stats.row_count(inside)
    baseline = stats.row_median(outside)
    anomaly = stats.row_median(inside)
    mad = stats.row_mad(outside, baseline)
    peak = stats.row_extreme(inside, largest=True)
    trough = stats.row_extreme(inside, largest=False)
    # The series' typical magnitude, robust to a few wild samples (a counter reset must not
    # flatten every score); including both medians bounds the ratio at 100 when the baseline is 0.
    scale = np.nan_to_num(
        np.maximum.reduce(
            [stats.row_quantile(np.abs(values), SCALE_QUANTILE), np.abs(baseline), np.abs(anomaly)]
        )
    )
    floor = 0.01 * scale + 1e-9
    sigma = np.maximum.reduce([stats.MAD_TO_SIGMA * np.nan_to_num(mad), 0.01 * np.abs(baseline), floor])
    delta = anomaly - baseline
    both_small = (np.abs(anomaly) < floor) & (np.abs(baseline) < floor)
    # anomaly / baseline keeps its meaning for negative series; a ~0 baseline is floored.
    denominator = np.where(np.abs(baseline) >= floor, baseline, floor)

    def relative(value: Vector) -> Vector:
        change: Vector = np.abs(value - baseline) / np.maximum.reduce(
            [np.abs(baseline), np.abs(value), floor]
        )
        return change

    return _Moves(
        n_in=n_in,
        n_out=stats.row_count(outside),
        baseline=baseline,
        anomaly=anomaly,
        peak=peak,
        delta=delta,
        ratio=np.where(both_small, 1.0, anomaly / denominator),
        score=delta / sigma,
        rel=relative(anomaly),
        peak_score=(peak - baseline) / sigma,
        peak_rel=relative(peak),
        trough_score=(trough - baseline) / sigma,
        trough_rel=relative(trough),
        n_high=stats.share_beyond(inside, baseline + EXCURSION_SCORE * sigma, above=True) * n_in,
        n_low=stats.share_beyond(inside, baseline - EXCURSION_SCORE * sigma, above=False) * n_in,
        corr=stats.row_time_correlation(inside),
    )


def _compare(
    grid: Vector, values: Matrix, grouped: _Grouped, window: TimeWindow
) -> tuple[list[Fact], list[str]]:
    lo = int(np.searchsorted(grid, window.start, side="left"))
    hi = int(np.searchsorted(grid, window.end, side="right"))
    moves = _measure(values, lo, hi)
    facts: list[Fact] = []
    skipped: list[str] = []
    for i, metric_id in enumerate(grouped.ids):
        n_in, n_out = int(moves.n_in[i]), int(moves.n_out[i])
        if n_in < MIN_INSIDE or n_out < MIN_OUTSIDE:
            skipped.append(f"{metric_id}: {n_in} samples inside and {n_out} outside the window")
            continue
        direction, shape, confidence = _classify(moves, i, grouped.units[i], metric_id)
        attrs: dict[str, float | str | bool] = {
            "baseline": _r(moves.baseline[i]),
            "anomaly": _r(moves.anomaly[i]),
            "delta": _r(moves.delta[i]),
            "ratio": _r(moves.ratio[i]),
            "score": _r(moves.score[i]),
            "peak": _r(moves.peak[i]),
            "confidence": round(confidence, 4),
            "shape": shape,
            "direction": direction,
        }
        # model_construct: ~100 facts per incident, built from values that are valid by construction.
        facts.append(
            Fact.model_construct(
                kind="signal",
                name=metric_id,
                attrs=attrs,
                certainty=1.0,
                source=grouped.sources[i],
                text=_describe(metric_id, attrs, grouped.units[i]),
            )
        )
    return facts, skipped


def _classify(m: _Moves, i: int, unit: str, metric_id: str) -> tuple[str, str, float]:
    """Direction, shape and confidence of metric ``i``: a sustained move first, else a brief excursion."""
    confidence = _conf(float(m.score[i]), float(m.rel[i]))
    if abs(m.score[i]) >= DIRECTION_SCORE and m.rel[i] >= DIRECTION_REL:
        direction = "up" if m.delta[i] > 0 else "down"
        if (
            direction == "up"
            and unit in _PERCENT_UNITS
            and m.anomaly[i] >= SATURATION_PERCENT
            and not any(word in metric_id for word in _HEADROOM_WORDS)
        ):
            return direction, "saturation", confidence
        if abs(m.corr[i]) >= TREND_CORRELATION and (m.corr[i] > 0) == (m.delta[i] > 0):
            return direction, "trend", confidence
        return direction, "level_shift", confidence
    n_in = float(m.n_in[i])
    if (
        m.peak_score[i] >= EXCURSION_SCORE
        and m.n_high[i] >= EXCURSION_SAMPLES
        and m.peak_rel[i] >= DIRECTION_REL
    ):
        brief = _conf(float(m.peak_score[i]), float(m.peak_rel[i])) * _support(float(m.n_high[i]) / n_in)
        return "up", "spike", max(confidence, EXCURSION_WEIGHT * brief)
    if (
        m.trough_score[i] <= -EXCURSION_SCORE
        and m.n_low[i] >= EXCURSION_SAMPLES
        and m.trough_rel[i] >= DIRECTION_REL
    ):
        brief = _conf(float(m.trough_score[i]), float(m.trough_rel[i])) * _support(float(m.n_low[i]) / n_in)
        return "down", "drop", max(confidence, EXCURSION_WEIGHT * brief)
    return "none", "flat", confidence


def _conf(score: float, rel: float) -> float:
    return float(np.tanh(abs(score) / CONFIDENCE_SCORE_SCALE) * np.tanh(rel / CONFIDENCE_REL_SCALE))


def _support(share: float) -> float:
    """Two wild samples in a long window say less than a fifth of the window being wild."""
    return float(np.tanh(share / EXCURSION_SHARE_SCALE))


def _r(x: float) -> float:
    """Four significant digits: enough for rules, stable for explanations and snapshots."""
    v = float(x)
    return float(f"{v:.4g}") if math.isfinite(v) else 0.0


def _describe(metric_id: str, a: dict[str, float | str | bool], unit: str) -> str:
    u = f" {unit}" if unit else ""
    if a["shape"] == "flat":
        return (
            f"{metric_id} not clearly changed: {a['baseline']:g}{u} normally, {a['anomaly']:g}{u} "
            f"in the window (robust z {a['score']:+g})"
        )
    return (
        f"{metric_id} {a['direction']} ({a['shape']}): {a['baseline']:g}{u} normally -> "
        f"{a['anomaly']:g}{u} in the window (x{a['ratio']:g}, robust z {a['score']:+g}, peak {a['peak']:g})"
    )
