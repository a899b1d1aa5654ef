"""Evaluation sets made from labelled single-cause recordings: synthetic compounds and healthy slices.

Real incidents often have several causes at once, and most of what a watcher
captures holds none; both must be measured, and neither is in a dataset of
single-cause recordings. So they are made from one, reproducibly (a seed):

- **compound**: two or three recordings of *different* causes on one
  timeline. The first (the host) gives the timeline and the normal samples;
  every other recording's anomaly is added onto it as its *deviation from its
  own normal* (each sample of its window minus the median of its samples
  outside the window), starting near the host's onset (a seeded offset of up
  to a quarter of the shorter window, either way). Running totals are
  combined through their increments. Physical limits hold after the sum:
  percentages stay within 0..100 (or the highest value a part recorded, for
  a disk utilisation that reads 101 %), ratios within 0..1, a series that
  does not go negative in any part (a glitched sample aside) stays
  non-negative. The labels are every part's causes and the window is the
  union of the parts' windows.
- **healthy**: a recording's samples before its window and after it, each
  as its own capture with no window and no cause, marked ``label_healthy``,
  ``GUARD_SAMPLES`` clear of the window (measured on DBSherlock: CPU and I/O
  saturation begin up to ten samples before their labelled rows, and
  aftermaths linger as long). A cause whose injection starts well before its
  labelled rows gives no slice before them (``lead_in_causes``: DBSherlock's
  poor physical design runs the schema change that degrades the design some
  forty samples before the rows labelled degraded).

Only metrics are carried over: statements, plans and events describe the
whole original capture (the anomaly included), so they would leak it into a
slice, and a compound could not say which part they came from.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from models import Incident, MetricSeries, TimeWindow

Bounds = tuple[float, float]
UnitOf = Callable[[str], str]

PERCENT_UNITS = frozenset({"%", "percent", "pct"})
RATIO_UNITS = frozenset({"ratio", "fraction", "share"})
# A normal stretch shorter than this cannot show a baseline and a departure from it.
MIN_HEALTHY_SAMPLES = 20
OFFSET_SHARE = 0.25
# A labelled window's edges are approximate: an onset starts, or an aftermath lingers, a few
# samples beyond them, so the healthy slices stay this many samples clear of the window.
GUARD_SAMPLES = 10


@dataclass(frozen=True)
class EvalSetOptions:
    seed: int = 0
    pairs: int = 60
    triples: int = 20
    min_healthy_samples: int = MIN_HEALTHY_SAMPLES
    lead_in_causes: frozenset[str] = frozenset({"poor_physical_design"})


@dataclass(frozen=True)
class EvalSets:
    compounds: list[Incident]
    healthy: list[Incident]


def generate(
    cases: Sequence[Incident], options: EvalSetOptions = EvalSetOptions(), unit_of: UnitOf | None = None
) -> EvalSets:
    """Compounds of labelled single-cause cases and the healthy slices of every case.

    ``unit_of`` maps a vendor metric name to its unit (the knowledge graph's,
    when it knows the metric); by default each series' own unit is used.
    """
    usable = [c for c in cases if c.window is not None and len(c.labels) == 1 and c.metrics]
    rng = random.Random(options.seed)
    by_cause: dict[str, list[Incident]] = {}
    for case in sorted(usable, key=lambda c: c.id):
        by_cause.setdefault(case.labels[0], []).append(case)
    compounds: list[Incident] = []
    for size, count in ((2, options.pairs), (3, options.triples)):
        for causes in _cause_sets(sorted(by_cause), size, count, rng):
            parts = [rng.choice(by_cause[c]) for c in causes]
            rng.shuffle(parts)
            compounds.append(compose(parts, _offsets(parts, rng), unit_of, tag=f"s{options.seed}"))
    healthy = [
        s
        for case in usable
        for s in healthy_slices(
            case, options.min_healthy_samples, before=case.labels[0] not in options.lead_in_causes
        )
    ]
    return EvalSets(compounds=compounds, healthy=healthy)


def _cause_sets(causes: list[str], size: int, count: int, rng: random.Random) -> list[tuple[str, ...]]:
    """``count`` sets of distinct causes, every combination once before any repeats."""
    if count <= 0 or len(causes) < size:
        return []
    every = list(combinations(causes, size))
    out: list[tuple[str, ...]] = []
    while len(out) < count:
        rng.shuffle(every)
        out.extend(every[: count - len(out)])
    return out


def _offsets(parts: Sequence[Incident], rng: random.Random) -> list[int]:
    """Each later part's onset relative to the host's, in samples."""
    lengths = [_window_rows(p)[1] - _window_rows(p)[0] + 1 for p in parts]
    spread = int(OFFSET_SHARE * min(lengths))
    return [0] + [rng.randint(-spread, spread) for _ in parts[1:]]


def compose(
    parts: Sequence[Incident], offsets: Sequence[int], unit_of: UnitOf | None = None, tag: str = "c"
) -> Incident:
    """The host (``parts[0]``) with every other part's anomaly added at the host's onset + its offset.

    ``offsets`` has one entry per part, in samples; the host's own (the first) is not used.
    """
    if len(offsets) != len(parts):
        raise ValueError(f"{len(parts)} parts need {len(parts)} offsets, got {len(offsets)}")
    host = parts[0]
    times = np.asarray(host.metrics[0].timestamps, dtype=np.float64)
    n = times.size
    h_lo, h_hi = _window_rows(host)
    starts = [h_lo]
    ends = [h_hi]
    onsets = [max(0, min(n - 1, h_lo + off)) for off in offsets[1:]]
    series = {m.name: m for m in host.metrics}
    combined: dict[str, np.ndarray] = {name: _values(m) for name, m in series.items()}
    totals = {name for name, v in combined.items() if _running_total(v)}
    for part, onset in zip(parts[1:], onsets, strict=True):
        lo, hi = _window_rows(part)
        length = min(hi - lo + 1, n - onset)
        starts.append(onset)
        ends.append(onset + length - 1)
        own = {m.name: _values(m) for m in part.metrics}
        for name, target in combined.items():
            values = own.get(name)
            if values is None or values.size <= hi:
                continue
            if name in totals and _running_total(values):
                values = np.diff(values, prepend=values[0])
                target_inc = np.diff(target, prepend=target[0])
                target_inc[onset : onset + length] += _deviation(values, lo, hi)[:length]
                combined[name] = target[0] + np.cumsum(np.maximum(target_inc, 0.0))
            else:
                target[onset : onset + length] += _deviation(values, lo, hi)[:length]
    metrics: list[MetricSeries] = []
    for name, m in series.items():
        seen = [_values(p_m) for p in parts for p_m in p.metrics if p_m.name == name]
        low, high = _bounds((unit_of(name) if unit_of else "") or m.unit, seen)
        values = np.clip(combined[name], low, high)
        metrics.append(
            MetricSeries(
                name=name,
                unit=m.unit,
                timestamps=m.timestamps,
                values=[None if math.isnan(v) else float(v) for v in values.tolist()],
            )
        )
    labels = [p.labels[0] for p in parts]
    return Incident(
        id=f"compound-{tag}-" + "--".join(p.id for p in parts),
        title="synthetic compound of " + ", ".join(p.id for p in parts),
        instance=host.instance.model_copy(),
        metrics=metrics,
        window=TimeWindow(start=float(times[min(starts)]), end=float(times[max(ends)])),
        settings=dict(host.settings),
        labels=sorted(set(labels)),
        source="compound of " + ", ".join(p.source or p.id for p in parts),
    )


def healthy_slices(
    case: Incident,
    min_samples: int = MIN_HEALTHY_SAMPLES,
    guard: int = GUARD_SAMPLES,
    *,
    before: bool = True,
) -> list[Incident]:
    """The normal stretch before the window (unless ``before`` is False) and the one after it,
    ``guard`` samples clear of it."""
    lo, hi = _window_rows(case)
    n = len(case.metrics[0].timestamps)
    out: list[Incident] = []
    stretches = [("before", range(0, max(0, lo - guard)))] if before else []
    stretches.append(("after", range(min(n, hi + 1 + guard), n)))
    for where, rows in stretches:
        if len(rows) < min_samples:
            continue
        first, last = rows.start, rows.stop
        out.append(
            Incident(
                id=f"{case.id}-healthy-{where}",
                title=f"normal samples {where} the anomaly of {case.id}",
                instance=case.instance.model_copy(),
                metrics=[
                    MetricSeries(
                        name=m.name,
                        unit=m.unit,
                        timestamps=m.timestamps[first:last],
                        values=m.values[first:last],
                    )
                    for m in case.metrics
                    if len(m.timestamps) == n
                ],
                settings=dict(case.settings),
                labels=[],
                label_healthy=True,
                source=f"{where} the window of {case.source or case.id}",
            )
        )
    return out


def _window_rows(case: Incident) -> tuple[int, int]:
    """First and last row (inclusive) of the case's window on its first series' clock."""
    assert case.window is not None
    times = np.asarray(case.metrics[0].timestamps, dtype=np.float64)
    lo = int(np.searchsorted(times, case.window.start, side="left"))
    hi = int(np.searchsorted(times, case.window.end, side="right")) - 1
    return lo, max(lo, hi)


def _values(m: MetricSeries) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in m.values], dtype=np.float64)


def _running_total(values: np.ndarray) -> bool:
    """Never decreasing and not constant: a counter's running total, not a rate."""
    present = values[~np.isnan(values)]
    return present.size > 2 and bool(np.all(np.diff(present) >= 0)) and present[-1] > present[0]


def _deviation(values: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Each window sample's departure from the median of the samples outside the window."""
    outside = np.concatenate([values[:lo], values[hi + 1 :]])
    outside = outside[~np.isnan(outside)]
    normal = float(np.median(outside)) if outside.size else 0.0
    return np.nan_to_num(values[lo : hi + 1] - normal)


def _bounds(unit: str, seen: Sequence[np.ndarray]) -> Bounds:
    """The physical range of a metric: non-negative unless its recordings really go negative.

    "Really": beyond the odd glitch (a counter reset reads -64482 for one
    sample), so the lowest percentile decides, not the lowest sample.
    """
    present = [v[~np.isnan(v)] for v in seen]
    lowest = min((float(np.quantile(v, 0.01)) for v in present if v.size), default=0.0)
    highest = max((float(v.max()) for v in present if v.size), default=0.0)
    low = 0.0 if lowest >= 0.0 else -math.inf
    u = unit.strip().lower()
    if u in PERCENT_UNITS:
        return max(low, 0.0), max(100.0, highest)
    if u in RATIO_UNITS:
        return max(low, 0.0), max(1.0, highest)
    return low, math.inf
