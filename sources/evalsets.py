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
  union of the parts' windows. A recording whose injection precedes its
  window (``lead_in_causes``) hosts only when every part is one.

  Adding departures is right for one cause on a normal server, not for two
  that each change the workload: every recording's departure holds the
  workload it slowed or stopped, and two freezes added remove the workload
  twice (a flush's own page writes would vanish under a network fault that
  merely stopped the clients the flush had stopped already). So each part
  says how much of the workload's transactions it let run (``retained``: its
  commits through its window against its own normal, at most 1), and a rate
  (a ``.../s`` unit: work done per second, which scales with the
  transactions) is composed as the host's normal level scaled by the share
  every active part lets run, plus what each part did beyond the workload it
  let run (its own work: a dump's stream, a flush's page writes, a hog's
  CPU; negative where it held something back further). A level (pages,
  sessions, a latency, a percentage) adds departures as before. Without a
  commit counter a part lets everything run and the rule is plain adding.

  A cause that changes how the workload's own transactions run
  (``through_workload``: more clients, a design that makes each transaction
  write more redo) has no work of its own: what it adds rides on the
  transactions, so its departure is scaled by the share of them the other
  parts let run; a frozen server commits no extra transactions for a spike
  and writes no extra redo for a heavier design. Where the others leave fewer
  than ``VISIBLE_SHARE`` of the transactions running for all but
  ``MIN_VISIBLE`` samples of its span, it is left out: the compound holds
  no trace of it and is not labelled with it (the id still names every
  part).
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
MetricOf = Callable[[str], str | None]

PERCENT_UNITS = frozenset({"%", "percent", "pct"})
RATIO_UNITS = frozenset({"ratio", "fraction", "share"})
# A normal stretch shorter than this cannot show a baseline and a departure from it.
MIN_HEALTHY_SAMPLES = 20
OFFSET_SHARE = 0.25
# The graph's metric that counts the workload's transactions.
THROUGHPUT = "commits"
# A cause riding on the workload shows where at least this share of its transactions run, and is
# in the compound when it shows on at least this many samples: the shortest part of a window the
# diagnosis measures on its own (fewer samples inside a longer window cannot move its medians).
VISIBLE_SHARE = 0.25
MIN_VISIBLE = 10
# Causes that act through the workload's own transactions (more of them, or each doing more), not
# beside them: what they change rides on the transactions another cause may stop.
THROUGH_WORKLOAD = frozenset({"workload_spike", "poor_physical_design"})
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
    through_workload: frozenset[str] = THROUGH_WORKLOAD


@dataclass(frozen=True)
class EvalSets:
    compounds: list[Incident]
    healthy: list[Incident]


def generate(
    cases: Sequence[Incident],
    options: EvalSetOptions = EvalSetOptions(),
    unit_of: UnitOf | None = None,
    metric_of: MetricOf | None = None,
) -> EvalSets:
    """Compounds of labelled single-cause cases and the healthy slices of every case.

    ``unit_of`` maps a vendor metric name to its unit (the knowledge graph's,
    when it knows the metric); by default each series' own unit is used.
    ``metric_of`` maps it to the graph's metric (default: the shipped graph's).
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
            # the host gives the normal samples: not a recording whose stretch before its window
            # holds its injection, while another part can host
            parts.sort(key=lambda p: p.labels[0] in options.lead_in_causes)
            compounds.append(
                compose(
                    parts,
                    _offsets(parts, rng),
                    unit_of,
                    tag=f"s{options.seed}",
                    through_workload=options.through_workload,
                    metric_of=metric_of,
                )
            )
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
    parts: Sequence[Incident],
    offsets: Sequence[int],
    unit_of: UnitOf | None = None,
    tag: str = "c",
    through_workload: frozenset[str] = THROUGH_WORKLOAD,
    metric_of: MetricOf | None = None,
) -> Incident:
    """The host (``parts[0]``) with every other part's anomaly added at the host's onset + its offset.

    ``offsets`` has one entry per part, in samples; the host's own (the first) is not used.
    A part whose cause is in ``through_workload`` shows as far as the others let the workload's
    transactions run; ``metric_of`` maps a vendor metric name to the graph's metric (default:
    the shipped graph's), to find each part's commit counter.
    """
    if len(offsets) != len(parts):
        raise ValueError(f"{len(parts)} parts need {len(parts)} offsets, got {len(offsets)}")
    host = parts[0]
    times = np.asarray(host.metrics[0].timestamps, dtype=np.float64)
    n = times.size
    windows = [_window_rows(p) for p in parts]
    spans = [windows[0]]
    for (lo, hi), off in zip(windows[1:], offsets[1:], strict=True):
        onset = max(0, min(n - 1, windows[0][0] + off))
        spans.append((onset, onset + min(hi - lo + 1, n - onset) - 1))
    kept = [retained(p, metric_of or _shipped_metric) for p in parts]
    rides = [p.labels[0] in through_workload for p in parts]
    plan = _Plan(windows, spans, kept, rides, n)
    own = [{m.name: _values(m) for m in p.metrics} for p in parts]
    metrics: list[MetricSeries] = []
    for m in host.metrics:
        columns = [values.get(m.name) for values in own]
        unit = (unit_of(m.name) if unit_of else "") or m.unit
        combined = plan.combine(columns, rate=_is_rate(unit))
        low, high = _bounds(unit, [c for c in columns if c is not None])
        values = np.clip(combined, low, high)
        metrics.append(
            MetricSeries(
                name=m.name,
                unit=m.unit,
                timestamps=m.timestamps,
                values=[None if math.isnan(v) else float(v) for v in values.tolist()],
            )
        )
    labels = [p.labels[0] for p, present in zip(parts, plan.present, strict=True) if present]
    return Incident(
        id=f"compound-{tag}-" + "--".join(p.id for p in parts),
        title="synthetic compound of " + ", ".join(p.id for p in parts),
        instance=host.instance.model_copy(),
        metrics=metrics,
        window=TimeWindow(
            start=float(times[min(a for a, _ in spans)]), end=float(times[max(b for _, b in spans)])
        ),
        settings=dict(host.settings),
        labels=sorted(set(labels)),
        source="compound of " + ", ".join(p.source or p.id for p in parts),
    )


def retained(case: Incident, metric_of: MetricOf) -> float:
    """The share of its normal commits the case kept through its window (0..1); 1 without a counter."""
    counter = next((m for m in case.metrics if metric_of(m.name) == THROUGHPUT), None)
    if counter is None:
        return 1.0
    values = _values(counter)
    if _running_total(values):
        values = np.diff(values, prepend=values[0])
    lo, hi = _window_rows(case)
    inside = values[lo : hi + 1]
    outside = np.concatenate([values[:lo], values[hi + 1 :]])
    inside, outside = inside[~np.isnan(inside)], outside[~np.isnan(outside)]
    if not inside.size or not outside.size:
        return 1.0
    normal = float(np.median(outside))
    return float(np.clip(np.median(inside) / normal, 0.0, 1.0)) if normal > 0.0 else 1.0


def _shipped_metric(name: str) -> str | None:
    from knowledge_graph import load_default_graph

    alias = load_default_graph().resolve_alias(name)
    return alias.metric if alias is not None else None


class _Plan:
    """Where each part sits on the compound's timeline and how much of the workload it lets run."""

    def __init__(
        self,
        windows: Sequence[tuple[int, int]],
        spans: Sequence[tuple[int, int]],
        kept: Sequence[float],
        rides: Sequence[bool],
        n: int,
    ) -> None:
        self.windows, self.spans, self.rides = windows, spans, rides
        # per part and sample: the share of the transactions it lets run (1 outside its span, and
        # for a part riding on the workload, whose departure is its whole effect)
        running = np.ones((len(spans), n))
        for k, (lo, hi) in enumerate(spans):
            if not rides[k]:
                running[k, lo : hi + 1] = kept[k]
        self.kept = kept
        self.everyone = np.prod(running, axis=0)
        # per part and sample, the share of its departure that shows: all of a part's own work;
        # for a part riding on the workload, the share of the transactions the others let run
        self.shown = np.ones((len(spans), n))
        for k, (lo, hi) in enumerate(spans):
            if rides[k]:
                share = np.prod(np.delete(running, k, axis=0), axis=0)
                visible = int(np.count_nonzero(share[lo : hi + 1] >= VISIBLE_SHARE))
                # a trace too short to be measured is left out, so no cause shows unlabelled
                self.shown[k] = share if visible >= min(MIN_VISIBLE, hi - lo + 1) else 0.0
        self.present = [
            bool(np.any(row[lo : hi + 1] > 0.0)) for row, (lo, hi) in zip(self.shown, spans, strict=True)
        ]

    def combine(self, columns: Sequence[np.ndarray | None], *, rate: bool) -> np.ndarray:
        """One metric of the compound from each part's series (``None`` where a part lacks it).

        A running total is combined through its increments (a part whose series is no
        running total adds nothing to it).
        """
        host = columns[0]
        assert host is not None
        total = _running_total(host)
        series = [
            None
            if c is None or c.size <= self.windows[k][1] or (k and total and not _running_total(c))
            else (np.diff(c, prepend=c[0]) if total else c)
            for k, c in enumerate(columns)
        ]
        first = series[0]
        assert first is not None
        out = first.copy()
        if rate:
            # work per second scales with the transactions every part lets run; the host counts
            # from its normal level, its departure added below as every part's is
            h_lo, h_hi = self.spans[0]
            out[h_lo : h_hi + 1] = _normal(first, h_lo, h_hi)
            out *= self.everyone
        for k, values in enumerate(series):
            if values is None:
                continue
            lo, hi = self.windows[k]
            onset, end = self.spans[k]
            length = end - onset + 1
            departure = _deviation(values, lo, hi)[:length]
            if self.rides[k]:
                # the host's level holds its departure in full already
                held = 0.0 if k or rate else 1.0
                out[onset : end + 1] += (self.shown[k, onset : end + 1] - held) * departure
            elif rate:
                # its own work: what it did beyond the share of its normal workload it let run
                beyond = values[lo : lo + length] - self.kept[k] * _normal(values, lo, hi)
                out[onset : end + 1] += np.nan_to_num(beyond)
            elif k:
                out[onset : end + 1] += departure
        if total:
            climbed: np.ndarray = host[0] + np.cumsum(np.maximum(out, 0.0))
            return climbed
        return out


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


def _normal(values: np.ndarray, lo: int, hi: int) -> float:
    """The median of the samples outside the window (0 without any)."""
    outside = np.concatenate([values[:lo], values[hi + 1 :]])
    outside = outside[~np.isnan(outside)]
    return float(np.median(outside)) if outside.size else 0.0


def _deviation(values: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Each window sample's departure from the median of the samples outside the window."""
    return np.nan_to_num(values[lo : hi + 1] - _normal(values, lo, hi))


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


def _is_rate(unit: str) -> bool:
    """Work done per second: it scales with the transactions run (a share of CPU time does not
    split into the workload's and a cause's own: idle and I/O-wait time are no work)."""
    return unit.strip().lower().endswith("per_second")
