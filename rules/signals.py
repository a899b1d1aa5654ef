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
# Scales of the smooth confidence: |score| of ~6 and a relative change of ~25 % give ~0.76 each.
CONFIDENCE_SCORE_SCALE = 6.0
CONFIDENCE_REL_SCALE = 0.25
# Brief excursions are weaker evidence than sustained moves.
EXCURSION_WEIGHT = 0.7
EXCURSION_SHARE_SCALE = 0.2
_PERCENT_UNITS = frozenset({"%", "percent", "pct"})


class MetricInfoLike(Protocol):
    @property
    def aggregate(self) -> str: ...

    @property
    def unit(self) -> str: ...


class MetricCatalog(Protocol):
    """The part of the knowledge graph signals need; a protocol so tests can pass a small table."""

    def resolve_metric(self, vendor_name: str) -> str | None: ...

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
        window = infer_window_from(grid, values, grouped.ids)
    facts, skipped = _compare(grid, values, grouped, window)
    return SignalSet(facts=facts, window=window, inferred=inferred, skipped=skipped)


def infer_window_from(grid: Vector, values: Matrix, ids: Sequence[str]) -> TimeWindow:
    start, end = infer_window(values, ids)
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
    members: dict[str, list[int]] = {}
    mapped: dict[str, bool] = {}
    for i, m in enumerate(metrics):
        canonical = kg.resolve_metric(m.name)
        key = canonical if canonical is not None else sanitize_metric_name(m.name)
        if canonical is None and mapped.get(key, False):
            key = f"{key}_unmapped"
        members.setdefault(key, []).append(i)
        mapped.setdefault(key, canonical is not None)
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
        rows.append(raw[idx[0]] if len(idx) == 1 else _aggregate(raw[idx], how))
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


def _compare(
    grid: Vector, values: Matrix, grouped: _Grouped, window: TimeWindow
) -> tuple[list[Fact], list[str]]:
    lo = int(np.searchsorted(grid, window.start, side="left"))
    hi = int(np.searchsorted(grid, window.end, side="right"))
    inside = values[:, lo:hi]
    outside = np.concatenate([values[:, :lo], values[:, hi:]], axis=1)
    n_in = stats.row_count(inside)
    n_out = stats.row_count(outside)

    baseline = stats.row_median(outside)
    anomaly = stats.row_median(inside)
    mad = stats.row_mad(outside, baseline)
    peak = stats.row_extreme(inside, largest=True)
    trough = stats.row_extreme(inside, largest=False)
    scale = np.nan_to_num(np.maximum(np.abs(stats.row_extreme(values, largest=True)),
                                     np.abs(stats.row_extreme(values, largest=False))))
    floor = 0.01 * scale + 1e-9
    sigma = np.maximum.reduce([stats.MAD_TO_SIGMA * np.nan_to_num(mad), 0.01 * np.abs(baseline), floor])
    delta = anomaly - baseline
    score = delta / sigma
    both_small = (np.abs(anomaly) < floor) & (np.abs(baseline) < floor)
    ratio = np.where(both_small, 1.0, anomaly / np.maximum(np.abs(baseline), floor))
    rel = np.abs(delta) / np.maximum.reduce([np.abs(baseline), np.abs(anomaly), floor])
    peak_score = (peak - baseline) / sigma
    trough_score = (trough - baseline) / sigma
    peak_rel = np.abs(peak - baseline) / np.maximum.reduce([np.abs(baseline), np.abs(peak), floor])
    trough_rel = np.abs(trough - baseline) / np.maximum.reduce([np.abs(baseline), np.abs(trough), floor])
    n_high = stats.share_beyond(inside, baseline + EXCURSION_SCORE * sigma, above=True) * n_in
    n_low = stats.share_beyond(inside, baseline - EXCURSION_SCORE * sigma, above=False) * n_in
    corr = stats.row_time_correlation(inside)
    conf_sustained = np.tanh(np.abs(score) / CONFIDENCE_SCORE_SCALE) * np.tanh(rel / CONFIDENCE_REL_SCALE)

    facts: list[Fact] = []
    skipped: list[str] = []
    for i, metric_id in enumerate(grouped.ids):
        if n_in[i] < MIN_INSIDE or n_out[i] < MIN_OUTSIDE:
            skipped.append(
                f"{metric_id}: {int(n_in[i])} samples inside and {int(n_out[i])} outside the window"
            )
            continue
        confidence = float(conf_sustained[i])
        sustained = abs(score[i]) >= DIRECTION_SCORE and rel[i] >= DIRECTION_REL
        if sustained:
            direction = "up" if delta[i] > 0 else "down"
            if direction == "up" and grouped.units[i] in _PERCENT_UNITS and anomaly[i] >= SATURATION_PERCENT:
                shape = "saturation"
            elif abs(corr[i]) >= TREND_CORRELATION and math.copysign(1.0, corr[i]) == math.copysign(
                1.0, delta[i]
            ):
                shape = "trend"
            else:
                shape = "level_shift"
        elif peak_score[i] >= EXCURSION_SCORE and n_high[i] >= EXCURSION_SAMPLES and peak_rel[i] >= DIRECTION_REL:
            direction, shape = "up", "spike"
            brief = _conf(peak_score[i], peak_rel[i]) * _support(n_high[i] / n_in[i])
            confidence = max(confidence, EXCURSION_WEIGHT * brief)
        elif (
            trough_score[i] <= -EXCURSION_SCORE
            and n_low[i] >= EXCURSION_SAMPLES
            and trough_rel[i] >= DIRECTION_REL
        ):
            direction, shape = "down", "drop"
            brief = _conf(trough_score[i], trough_rel[i]) * _support(n_low[i] / n_in[i])
            confidence = max(confidence, EXCURSION_WEIGHT * brief)
        else:
            direction, shape = "none", "flat"
        attrs: dict[str, float | str | bool] = {
            "baseline": _r(baseline[i]),
            "anomaly": _r(anomaly[i]),
            "delta": _r(delta[i]),
            "ratio": _r(ratio[i]),
            "score": _r(score[i]),
            "peak": _r(peak[i]),
            "confidence": round(confidence, 4),
            "shape": shape,
            "direction": direction,
        }
        facts.append(
            Fact.model_construct(
                kind="signal",
                name=metric_id,
                attrs=attrs,
                certainty=round(confidence, 4),
                source=grouped.sources[i],
                text=_describe(metric_id, attrs, grouped.units[i]),
            )
        )
    return facts, skipped


def _conf(score: float, rel: float) -> float:
    return float(np.tanh(abs(score) / CONFIDENCE_SCORE_SCALE) * np.tanh(rel / CONFIDENCE_REL_SCALE))


def _support(share: float) -> float:
    """Two wild samples in a long window say less than a fifth of the window being wild."""
    return float(np.tanh(share / EXCURSION_SHARE_SCALE))


def _r(x: float) -> float:
    """Four significant digits: enough for rules, stable for explanations and snapshots."""
    v = float(x)
    if v == 0.0 or not math.isfinite(v):
        return 0.0 if not math.isfinite(v) else v
    return float(f"{v:.4g}")


def _describe(metric_id: str, a: dict[str, float | str | bool], unit: str) -> str:
    u = f" {unit}" if unit else ""
    if a["shape"] == "flat":
        return f"{metric_id} unchanged: {a['baseline']:g}{u} normally, {a['anomaly']:g}{u} in the window"
    return (
        f"{metric_id} {a['direction']} ({a['shape']}): {a['baseline']:g}{u} normally -> "
        f"{a['anomaly']:g}{u} in the window (x{a['ratio']:g}, robust z {a['score']:+g}, peak {a['peak']:g})"
    )
