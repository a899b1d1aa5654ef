"""Signals: what each metric did in the anomaly window compared with normal operation.

This is the code half of "signals are code, not LLM": every metric of an
incident becomes one ``Fact(kind="signal")`` whose numbers the rules test and
the explanations quote, and so does every share the graph computes from them
(the kernel's share of the busy CPU), which is measured but never decides
where the anomaly is. Robust statistics (median, MAD) keep one odd sample
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

import functools
import itertools
import re
import struct
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from models import Deviation, Fact, HealthCheck, Incident, MetricSeries, TimeWindow
from rules import health, materiality, stats, window
from rules.materiality import DIRECTION_REL, DIRECTION_SCORE
from rules.stats import Matrix, Vector
from rules.window import warmup_length

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph

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
# Parts of a window measured on their own, at most; and how many metrics a part must move that
# the whole window does not (one metric alone is as likely noise as a second cause).
MAX_PARTS = 2
MIN_REVEALED = 3
# Beyond this many noise units a move is a move: one wild metric must not pick the part alone.
PART_SCORE_CLIP = 10.0
# A part reveals a metric the whole window moved too when it moved it this many times as far.
PART_FURTHER = 2.0
# Sampling is uneven when one interval passes this many usual ones; a sample stands for at most
# MAX_FILL of them, and evening never makes a capture more than MAX_EVEN times as many samples.
IRREGULAR = 1.5
MAX_FILL = 60
MAX_EVEN = 4
_PERCENT_UNITS = frozenset({"%", "percent", "pct"})
# What sleuth's live collectors name the figures they read from /proc of the machine they run on.
HOST_PREFIX = "host."
# The largest power of ten a double holds exactly.
EXACT_POWER = 22
# Headroom metrics (idle CPU, free memory) at 100 % are the opposite of saturated.
_HEADROOM_WORDS = ("idle", "free", "available")


@dataclass(frozen=True)
class WindowSignals:
    """The signal facts of one window, measured against the capture's normal samples."""

    window: TimeWindow
    facts: list[Fact]


@dataclass(frozen=True)
class SignalSet:
    """The signal facts of one incident and the window they were computed against.

    ``facts`` and ``window`` are the main window's; ``windows`` holds every
    window measured (the main one first): further abnormal segments, and parts
    of a window where metrics moved that the whole window hides. ``health`` is
    the test behind an inferred window; when it found nothing abnormal,
    ``windows`` is empty and ``facts`` are measured on the strongest segment.
    """

    facts: list[Fact]
    window: TimeWindow
    inferred: bool
    skipped: list[str] = field(default_factory=list)
    windows: list[WindowSignals] = field(default_factory=list)
    health: HealthCheck | None = None

    @property
    def healthy(self) -> bool:
        return self.health is not None and self.health.healthy

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
    percent: NDArray[np.bool_]  # a percentage, which can saturate
    headroom: NDArray[np.bool_]  # idle or free capacity, for which 100 % is the opposite of saturated
    host: NDArray[np.bool_]  # read from the machine sleuth runs on (``host.*``), not from the server
    texts: list[tuple[str, str]]  # each metric's sentences, flat and moved (``_texts``)
    # computed from other rows (the graph's shares): measured, never a vote on where or whether
    # an anomaly is, which the rows it comes from already cast
    derived: NDArray[np.bool_]

    def rows(self, picked: NDArray[np.bool_]) -> _Grouped:
        """The metrics ``picked`` marks, in their order."""
        at = np.flatnonzero(picked).tolist()
        return _Grouped(
            ids=[self.ids[i] for i in at],
            sources=[self.sources[i] for i in at],
            units=[self.units[i] for i in at],
            values=self.values[picked],
            percent=self.percent[picked],
            headroom=self.headroom[picked],
            host=self.host[picked],
            texts=[self.texts[i] for i in at],
            derived=self.derived[picked],
        )


def extract_signals(
    incident: Incident,
    kg: KnowledgeGraph,
    infer_window: bool = False,
    watched: frozenset[str] | None = None,
    bar: float = DIRECTION_REL,
) -> SignalSet:
    """``_extract_signals`` with numpy's floating-point warnings silenced.

    Values near the float limit (1e300 and up are valid samples) overflow in
    the squares and products of the statistics; what comes out (inf, nan) is
    handled as a missing or undecided measure, and a warning per operation on
    stderr would tell a user nothing about the incident.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return _extract_signals(incident, kg, infer_window, watched, bar)


def _extract_signals(
    incident: Incident,
    kg: KnowledgeGraph,
    infer_window: bool = False,
    watched: frozenset[str] | None = None,
    bar: float = DIRECTION_REL,
) -> SignalSet:
    """One signal fact per canonical metric, baseline (outside) vs anomaly (inside the window).

    The window is the incident's own unless it has none or ``infer_window`` is
    set; then every abnormal segment is found from the data (``SignalSet.inferred``
    says so), or none, when the capture is healthy. The baseline is every
    sample outside the windows. A part of a window is measured on its own
    when ``watched`` metrics (those the rules read; default every metric)
    moved differently in it.
    """
    metrics = [m for m in incident.metrics if m.values]
    if not metrics:
        raise SignalError(f"incident {incident.id} has no metric samples")
    grid, raw = _align(metrics)
    grouped = _group(metrics, raw, kg)
    labelled = None if infer_window else incident.window
    sampled = grouped.values if not grouped.derived.any() else grouped.values[~grouped.derived]
    warm = warmup_length(sampled) if incident.has_warm_up else 0
    if labelled is not None:
        # Never discard samples the labelled window claims as anomalous.
        warm = min(warm, int(np.searchsorted(grid, labelled.start, side="left")))
    grid, values = grid[warm:], grouped.values[:, warm:]
    test: health.NullTest | None = None
    found: window.Search | None = None
    voting, voted = grouped, values
    if labelled is not None:
        lo = int(np.searchsorted(grid, labelled.start, side="left"))
        hi = int(np.searchsorted(grid, labelled.end, side="right"))
        spans = [(lo, hi)]
    else:
        # Host figures do not vote on where the anomaly is: they come from the machine sleuth
        # runs on, where the server is local, and a neighbour's load there is not the database's
        # anomaly (the watcher reads them the same way). The rules still read them in every window.
        own = ~grouped.host & ~grouped.derived
        voters = own if own.any() else ~grouped.derived
        voting = grouped if voters.all() else grouped.rows(voters)
        voted = voting.values[:, warm:]
        found = window.search(voted)
        test = found.test
        spans = [(a, b + 1) for a, b in found.windows]
        service = materiality.service_rows(voting.ids, kg.has_metric)
        material = materiality.material(voted, found.best, found.shift, service, bar)
        if test is not None and not material:
            spans = []  # significant or not, housekeeping or a move smaller than any cause makes
        if not spans:
            best = (found.best[0], found.best[1] + 1)
            facts, skipped = _compare([(grouped, _measure(values, *best))])[0]
            where = _time_window(grid, best)
            checked = (
                None if test is None else _health_check(found, voting.ids, voted, facts, where, bar, material)
            )
            return SignalSet(facts, where, True, skipped, [], checked)
    votes = None if watched is None else np.array([m in watched for m in grouped.ids], dtype=bool)
    measured = _measure_windows(values, spans, votes, ~grouped.derived)
    # the main window's facts are the diagnosis' own, every metric; another window's serve its rules
    # (the graph ranks on each metric's strongest move, and the main window holds every metric),
    # so only the metrics they read are measured there (``_measure_windows``)
    read = grouped if votes is None or len(measured) == 1 else grouped.rows(votes)
    compared = _compare([(grouped if k == 0 else read, moves) for k, (_, moves) in enumerate(measured)])
    facts, skipped = compared[0]
    where = labelled if labelled is not None else _time_window(grid, spans[0])
    out = [WindowSignals(where, facts)] + [
        WindowSignals(_time_window(grid, span), done[0])
        for (span, _), done in zip(measured[1:], compared[1:], strict=True)
    ]
    checked = (
        None
        if found is None or test is None
        else _health_check(found, voting.ids, voted, facts, where, bar, material=True)
    )
    return SignalSet(facts, where, labelled is None, skipped, out, checked)


def _time_window(grid: Vector, span: tuple[int, int]) -> TimeWindow:
    """Columns [lo, hi) as a window in the incident's clock."""
    lo, hi = span
    return TimeWindow(start=float(grid[lo]), end=float(grid[max(lo, min(hi, grid.size) - 1)]))


def infer_window_from(grid: Vector, values: Matrix) -> TimeWindow:
    """The strongest segment in the incident's clock (the grid's timestamps), significant or not."""
    start, end = window.infer_window(values)
    return TimeWindow(start=float(grid[start]), end=float(grid[end]))


def _measure_windows(
    values: Matrix,
    spans: list[tuple[int, int]],
    votes: NDArray[np.bool_] | None = None,
    counted: NDArray[np.bool_] | None = None,
) -> list[tuple[tuple[int, int], _Moves]]:
    """Each window's moves against the samples outside every window, with the parts that say more.

    A part of a window (``window.sub_windows``) is measured too when metrics
    moved in it that did not move over the whole window: two causes that
    overlap in time, one starting later or ending sooner, each show in their
    own part, and would be averaged away over the union.

    The first window's moves are of every metric; every other window's of the
    ``votes`` rows alone (every statistic is per row, so a row's numbers do
    not depend on which others are measured with it). Only ``counted`` rows
    (default all) decide which parts are worth it: a share moves with the
    metrics it is computed from and would count their move twice.
    """
    out: list[tuple[tuple[int, int], _Moves]] = []
    normal = _normal(values, spans)
    deciding = values if counted is None or counted.all() else values[counted]
    # the rows a part is measured on, taken when a part is (most windows have none worth it)
    voted: tuple[Matrix, _Normal] | None = (values, normal) if votes is None else None
    for lo, hi in spans:
        whole = _measure(values, lo, hi, normal)
        out.append(((lo, hi), whole if not out or votes is None else whole.rows(votes)))
        revealed = _moved(whole)
        # every metric says whether a second cause shows in a part; a part is worth measuring
        # only when some metric a rule reads is among those it reveals
        read = np.ones_like(revealed) if votes is None else np.concatenate([votes, votes, votes])
        counts_in = None if counted is None or counted.all() else np.concatenate([counted, counted, counted])
        # how far each metric moved where it was measured: a part that moves a metric several
        # times as far as the whole window did shows a cause the window's median dilutes
        shown = _strength(whole.score)
        picked = 0
        spans_in = [(a, b + 1) for a, b in window.sub_windows(deciding, lo, hi - 1)]
        moved, strength = _parts_moved(values, spans_in, whole)
        left = list(range(len(spans_in)))
        while picked < MAX_PARTS and left:
            # most metrics newly moved; among as many, where they moved furthest; then the tightest
            news = moved[left] & (~revealed | (strength[left] >= PART_FURTHER * shown))
            if counts_in is not None:
                news &= counts_in
            counts = news.sum(axis=1).tolist()
            most = max(counts)
            if most < MIN_REVEALED:
                break
            # the first of the parts that newly moved the most, by how far and how tight; how far
            # is summed only where it decides (two parts moving as many)
            tied = [j for j, count in enumerate(counts) if count == most]
            at = tied[0]
            if len(tied) > 1:
                at = max(
                    tied,
                    key=lambda j: (
                        float(strength[left[j]][news[j]].sum()),
                        spans_in[left[j]][0] - spans_in[left[j]][1],
                    ),
                )
            new, span = news[at], spans_in[left[at]]
            if not bool((new & read).any()):
                break
            if voted is None:
                assert votes is not None
                voted = (values[votes], normal.rows(votes))
            out.append((span, _measure(voted[0], *span, voted[1])))
            revealed |= new
            shown = np.maximum(shown, strength[left[at]])
            picked += 1
            del left[at]
    return out


def _strength(score: Vector) -> Vector:
    """Each metric's move in noise units, clipped, for the up and down entries of ``_moved``."""
    size = np.minimum(stats.finite(np.abs(score)), PART_SCORE_CLIP)
    out: Vector = np.concatenate([size, size, np.full_like(size, np.inf)], axis=-1)
    return out


def _moved(moves: _Moves) -> NDArray[np.bool_]:
    """Metrics whose window median moved beyond noise, signed: up, down and still count apart."""
    return _signed_moves(moves.delta, moves.score, moves.rel)


def _parts_moved(
    values: Matrix, spans: Sequence[tuple[int, int]], whole: _Moves
) -> tuple[NDArray[np.bool_], Matrix]:
    """``_moved`` of each part of a window (a row per span) against the same baseline, from the
    part's median alone; and each entry's strength (the move in noise units, clipped, for the up
    and down entries).

    The parts are laid side by side, each padded with missing samples to the longest, so one
    sort gives every part's medians (a missing sample sorts last and counts for nothing).
    """
    if not spans:
        return np.zeros((0, 3 * values.shape[0]), dtype=bool), np.zeros((0, 3 * values.shape[0]))
    longest = max(b - a for a, b in spans)
    laid = np.full((len(spans), values.shape[0], longest), np.nan)
    for k, (a, b) in enumerate(spans):
        laid[k, :, : b - a] = values[:, a:b]
    flat = laid.reshape(-1, longest)
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    if np.isnan(values[:, first:last]).any():
        n = stats.row_count(flat)
    else:
        # no sample missing in the window: each row holds its part's samples, the padding aside
        n = np.repeat(np.array([b - a for a, b in spans], dtype=np.int64), values.shape[0])
    median = stats.sorted_median(np.sort(flat, axis=1), n).reshape(len(spans), -1)
    delta = median - whole.baseline
    rel = np.abs(delta) / np.maximum(np.maximum(np.abs(whole.baseline), np.abs(median)), whole.floor)
    score = delta / whole.sigma
    strength = _strength(score)
    strength[:, 2 * score.shape[1] :] = 0.0
    return _signed_moves(delta, score, rel), strength


def _signed_moves(delta: Vector, score: Vector, rel: Vector) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        sustained = (np.abs(score) >= DIRECTION_SCORE) & (rel >= DIRECTION_REL)
    up = sustained & (delta > 0)
    down = sustained & (delta < 0)
    out: NDArray[np.bool_] = np.concatenate([up, down, ~sustained], axis=-1)
    return out


def _health_check(
    found: window.Search,
    ids: list[str],
    values: Matrix,
    facts: list[Fact],
    where: TimeWindow,
    bar: float,
    material: bool,
) -> HealthCheck:
    """The verdict, what was tested, and the largest single departure the test weighed."""
    assert found.test is not None
    test = found.test
    deviation = None
    if found.shift is not None and found.shift.size and np.any(found.shift):
        i = int(np.argmax(np.abs(found.shift)))
        fact = next((f for f in facts if f.name == ids[i]), None)
        if fact is not None:
            deviation = Deviation(
                metric=ids[i],
                window=where,
                baseline=float(fact.attrs["baseline"]),
                anomaly=float(fact.attrs["anomaly"]),
                score=round(float(found.shift[i]), 4),
            )
    voting = int(np.count_nonzero(np.nanmax(values, axis=1) > np.nanmin(values, axis=1)))
    return HealthCheck(
        healthy=not (test.significant and material),
        method=(
            "strongest joint mean shift of the robust-standardised metrics over any segment with a "
            f"normal lead-in, against {test.resamples} moving-block bootstrap draws (blocks of "
            f"{test.block}) of the capture's residuals, on {test.points} block means; "
            f"abnormal when p <= {health.LEVEL} and the segment moves {materiality.MIN_MOVED} metrics "
            f"at least {materiality.DIRECTION_SCORE:g} noise units and {materiality.DIRECTION_REL:.0%} "
            f"of their level, one of them a service metric (work, latency, concurrency, waits, errors) "
            f"by {bar:.0%}"
        ),
        material=material if test.significant else None,
        metrics=voting,
        samples=int(values.shape[1]),
        statistic=round(test.statistic, 4),
        threshold=round(test.threshold, 4),
        p_value=round(test.p_value, 4),
        resamples=test.resamples,
        strongest=deviation,
    )


def sanitize_metric_name(name: str) -> str:
    """A vendor name the graph does not know, made into a safe fact name (kept, never dropped)."""
    clean = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "metric"
    return f"m_{clean}" if clean[0].isdigit() else clean


def _align(metrics: Sequence[MetricSeries]) -> tuple[Vector, Matrix]:
    """Put every series on one even time grid, NaN where a series has no sample (see ``_even``)."""
    first = metrics[0].timestamps
    if all(m.timestamps is first or m.timestamps == first for m in metrics):
        return _even(np.asarray(first, dtype=np.float64), _rows(metrics, len(first)))
    grid = np.unique(np.concatenate([np.asarray(m.timestamps, dtype=np.float64) for m in metrics]))
    out = np.full((len(metrics), grid.size), np.nan)
    for i, m in enumerate(metrics):
        cols = np.searchsorted(grid, np.asarray(m.timestamps, dtype=np.float64))
        out[i, cols] = np.array(m.values, dtype=np.float64)
    return _even(grid, out)


def _rows(metrics: Sequence[MetricSeries], length: int) -> Matrix:
    """The series' values, each ``length`` long, as rows; a missing sample (``None``) is NaN.

    ``struct`` copies a series' Python floats into native doubles in one C loop, a third of what
    ``np.array`` spends working out the type and shape of a list of lists (the largest single
    cost of a diagnosis' signals); a series it cannot pack (a missing sample) goes to
    ``np.array``, which reads ``None`` as NaN, as it always did.
    """
    pack = _packer(length).pack
    try:
        packed = bytearray().join([pack(*m.values) for m in metrics])
    except (struct.error, TypeError, OverflowError):
        return np.array([m.values for m in metrics], dtype=np.float64)
    return np.frombuffer(packed, dtype=np.float64).reshape(len(metrics), length)


@functools.lru_cache(maxsize=64)
def _packer(length: int) -> struct.Struct:
    """Native doubles, ``length`` of them: the layout of a float64 array's row."""
    return struct.Struct(f"{length}d")


def _even(grid: Vector, values: Matrix) -> tuple[Vector, Matrix]:
    """The samples on an even grid at their usual interval, when the sampler fell behind.

    Every statistic here counts samples, and that is a count of time only while the samples
    come evenly: a sampler stalled by a starved host takes one sample where it should have
    taken twenty, and the twenty seconds it stood for weigh as one against the steady samples
    around them. Each sample stands for the interval it closes (a counter's rate is its
    average over that interval), so an even point takes the first sample at or after it. An
    interval wider than ``MAX_FILL`` usual ones is a hole (the server was unreachable): no
    sample stands for it, and the grid steps over it.
    """
    if grid.size < 3:
        return grid, values
    steps = np.diff(grid)
    step = stats.median(steps)
    if not step > 0 or float(steps.max()) <= IRREGULAR * step:
        return grid, values
    hole = steps > MAX_FILL * step
    covered = float(steps[~hole].sum())
    step = max(step, covered / (MAX_EVEN * grid.size))
    cuts = np.flatnonzero(hole) + 1
    parts = []
    for lo, hi in zip([0, *cuts], [*cuts, grid.size], strict=True):
        a, b = float(grid[lo]), float(grid[hi - 1])
        points = max(0, int(np.ceil((b - a) / step - 1e-6)))
        parts.append(np.append(a + step * np.arange(points, dtype=np.float64), b))
    even = np.concatenate(parts)
    return even, values[:, np.searchsorted(grid, even, side="left")]


@dataclass(frozen=True)
class _Plan:
    """How one set of vendor columns maps onto canonical metrics: the same for every capture of a source."""

    ids: list[str]
    sources: list[str]
    units: list[str]
    scale: Vector | None  # per vendor column, when some is in another unit than its metric
    single_rows: NDArray[np.intp]  # metrics of one vendor column each ...
    single_columns: NDArray[np.intp]  # ... and that column
    # metrics of several columns, bucketed by aggregate and column count: rows, their columns (one
    # row of indexes each), aggregate; a bucket is aggregated in one go
    combined: list[tuple[NDArray[np.intp], NDArray[np.intp], str]]
    percent: NDArray[np.bool_]
    headroom: NDArray[np.bool_]
    host: NDArray[np.bool_]
    texts: list[tuple[str, str]]
    # shares, after every measured metric: their row, their part's row and the rows of their whole
    shares: list[tuple[int, int, NDArray[np.intp]]]
    derived: NDArray[np.bool_]


# Plans per graph, keyed by the capture's (name, unit) columns: a batch of captures from one source
# shares its columns, and resolving ~100 vendor names costs as much as measuring them.
_PLANS: weakref.WeakKeyDictionary[KnowledgeGraph, dict[tuple[tuple[str, str], ...], _Plan]] = (
    weakref.WeakKeyDictionary()
)
_PLANS_PER_GRAPH = 64


def _group(metrics: Sequence[MetricSeries], raw: Matrix, kg: KnowledgeGraph) -> _Grouped:
    """Map vendor names to canonical ids and aggregate columns that share one (per-core CPU).

    ``resolve_alias`` rather than ``resolve_metric``: a vendor column may be in
    another unit (DBSherlock's KB/s against bytes/s), and its scale must be
    applied before columns are combined.
    """
    key = tuple([(m.name, m.unit) for m in metrics])
    plans = _PLANS.setdefault(kg, {})
    plan = plans.get(key)
    if plan is None:
        plan = _plan(metrics, kg)
        if len(plans) >= _PLANS_PER_GRAPH:
            plans.clear()
        plans[key] = plan
    scaled = raw if plan.scale is None else raw * plan.scale[:, None]
    values = np.empty((len(plan.ids), raw.shape[1]))
    values[plan.single_rows] = scaled[plan.single_columns]
    for rows, columns, how in plan.combined:
        values[rows] = _aggregate(scaled[columns], how)
    for row, part, whole in plan.shares:
        total = values[whole].sum(axis=0)
        # nothing to divide (an idle sample) is no share at all, not 0 % of it
        values[row] = np.where(total > 0.0, 100.0 * values[part] / np.where(total > 0.0, total, 1.0), np.nan)
    return _Grouped(
        plan.ids,
        plan.sources,
        plan.units,
        values,
        plan.percent,
        plan.headroom,
        plan.host,
        plan.texts,
        plan.derived,
    )


def _plan(metrics: Sequence[MetricSeries], kg: KnowledgeGraph) -> _Plan:
    aliases = [kg.resolve_alias(m.name) for m in metrics]
    canonical_ids = {a.metric for a in aliases if a is not None}
    members: dict[str, list[int]] = {}
    mapped: dict[str, bool] = {}
    scales: list[tuple[int, float]] = []
    for i, (m, alias) in enumerate(zip(metrics, aliases, strict=True)):
        if alias is not None:
            key = alias.metric
            if alias.scale != 1.0:
                scales.append((i, alias.scale))
        else:
            key = sanitize_metric_name(m.name)
            # an unknown name must never pose as (or merge into) a canonical metric
            key = f"{key}_unmapped" if key in canonical_ids else key
        members.setdefault(key, []).append(i)
        mapped[key] = alias is not None
    ids: list[str] = []
    sources: list[str] = []
    units: list[str] = []
    hows: list[str] = []
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
        hows.append(how)
    scale = None
    if scales:
        scale = np.ones(len(metrics))
        for i, factor in scales:
            scale[i] = factor
    groups = list(members.values())
    single = [row for row, idx in enumerate(groups) if len(idx) == 1]
    measured = len(ids)
    host = [all(metrics[i].name.startswith(HOST_PREFIX) for i in idx) for idx in groups]
    shares: list[tuple[int, int, NDArray[np.intp]]] = []
    for share in kg.shares():
        # the part is one of the whole (the graph checks it): the whole measured is all it needs
        rows = {m: ids.index(m) for m in share.of if m in members and mapped[m]}
        if share.metric in members or len(rows) < len(share.of):
            continue
        shares.append((len(ids), rows[share.part], np.array([rows[m] for m in share.of], dtype=np.intp)))
        ids.append(share.metric)
        sources.append(f"signals: {share.part} as a share of {' + '.join(share.of)}")
        units.append(kg.metric_info(share.metric).unit)
        host.append(all(host[r] for r in rows.values()))
    return _Plan(
        ids,
        sources,
        units,
        scale,
        np.array(single, dtype=np.intp),
        np.array([groups[row][0] for row in single], dtype=np.intp),
        _buckets(groups, hows),
        np.array([u in _PERCENT_UNITS for u in units], dtype=bool),
        np.array([any(w in i for w in _HEADROOM_WORDS) for i in ids], dtype=bool),
        np.array(host, dtype=bool),
        [_texts(i, u) for i, u in zip(ids, units, strict=True)],
        shares,
        np.arange(len(ids)) >= measured,
    )


def _texts(metric_id: str, unit: str) -> tuple[str, str]:
    """The flat and moved sentences of one metric, its name and unit written in: what is left to
    format per fact are the numbers (and a move's direction and shape)."""
    name = metric_id.replace("%", "%%")
    u = f" {unit}".replace("%", "%%") if unit else ""
    return (
        f"{name} not clearly changed: %g{u} normally, %g{u} in the window (robust z %+g)",
        f"{name} %s (%s): %g{u} normally -> %g{u} in the window (x%g, robust z %+g, peak %g)",
    )


def _buckets(
    groups: Sequence[list[int]], hows: Sequence[str]
) -> list[tuple[NDArray[np.intp], NDArray[np.intp], str]]:
    """The metrics of several columns, bucketed by aggregate and number of columns (in order)."""
    buckets: dict[tuple[str, int], list[int]] = {}
    for row, idx in enumerate(groups):
        if len(idx) > 1:
            buckets.setdefault((hows[row], len(idx)), []).append(row)
    return [
        (np.array(rows, dtype=np.intp), np.array([groups[r] for r in rows], dtype=np.intp), how)
        for (how, _), rows in buckets.items()
    ]


def _aggregate(block: NDArray[np.float64], how: str) -> Matrix:
    """Per metric of a bucket (blocks of columns, metric x column x sample), its columns combined.

    Each metric's columns are added in their order, one after the other, as a sum over the
    columns of its block alone would add them.
    """
    missing = np.isnan(block)
    if not missing.any():
        # every column present: the same sums and maxima of the block itself
        whole: Matrix = block.max(axis=1) if how == "max" else block.sum(axis=1)
        return whole / block.shape[1] if how not in ("sum", "max") else whole
    present = ~missing
    any_present = present.any(axis=1)
    filled = np.where(present, block, 0.0)
    if how == "sum":
        out = filled.sum(axis=1)
    elif how == "max":
        out = np.where(present, block, -np.inf).max(axis=1)
    else:
        out = filled.sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    result: Matrix = np.where(any_present, out, np.nan)
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
    sigma: Vector
    floor: Vector

    def rows(self, picked: NDArray[np.bool_]) -> _Moves:
        """The statistics of the metrics ``picked`` marks."""
        return _Moves(**{f.name: getattr(self, f.name)[picked] for f in fields(self)})

    @staticmethod
    def joined(parts: Sequence[_Moves]) -> _Moves:
        """The statistics of several measures, their metrics end to end."""
        return _Moves(**{f.name: np.concatenate([getattr(m, f.name) for m in parts]) for f in fields(_Moves)})


@dataclass(frozen=True)
class _Normal:
    """What every window of one incident is measured against: the samples outside every window."""

    n_out: NDArray[np.int64]
    baseline: Vector
    mad: Vector
    typical: Vector
    """Each series' typical magnitude (a high quantile of its absolute values, the windows
    included), robust to a few wild samples: a counter reset must not flatten every score."""

    def rows(self, picked: NDArray[np.bool_]) -> _Normal:
        """The normal samples' statistics of the metrics ``picked`` marks."""
        return _Normal(self.n_out[picked], self.baseline[picked], self.mad[picked], self.typical[picked])


def _normal(values: Matrix, windows: Sequence[tuple[int, int]]) -> _Normal:
    """The samples outside every window (columns [lo, hi) each), measured once for all of them."""
    if len(windows) == 1:
        # the columns before the window and after it, in their order, as the mask below keeps them
        a, b = windows[0]
        outside = np.concatenate([values[:, :a], values[:, max(a, b) :]], axis=1)
    else:
        normal = np.ones(values.shape[1], dtype=bool)
        for a, b in windows:
            normal[a:b] = False
        outside = values[:, normal]
    n_out = stats.row_count(outside)
    baseline = stats.sorted_median(np.sort(outside, axis=1), n_out)
    return _Normal(
        n_out=n_out,
        baseline=baseline,
        mad=stats.sorted_median(np.sort(np.abs(outside - baseline[:, None]), axis=1), n_out),
        typical=stats.row_quantile(np.abs(values), SCALE_QUANTILE),
    )


def _measure(values: Matrix, lo: int, hi: int, normal: _Normal | None = None) -> _Moves:
    """Anomaly (columns lo..hi-1) against the baseline (outside every window) for every metric at once.

    ``normal`` is the incident's (``_normal``); by default the samples outside [lo, hi).
    """
    if normal is None:
        normal = _normal(values, [(lo, hi)])
    inside = values[:, lo:hi]
    baseline, mad = normal.baseline, normal.mad
    n_in = stats.row_count(inside)
    ordered = np.sort(inside, axis=1)
    anomaly = stats.sorted_median(ordered, n_in)
    peak, trough = stats.sorted_extremes(ordered, n_in)
    # including both medians bounds the ratio at 100 when the baseline is 0
    size = np.abs(baseline)
    scale = stats.finite(np.maximum(np.maximum(normal.typical, size), np.abs(anomaly)))
    floor = 0.01 * scale + 1e-9
    sigma = np.maximum(np.maximum(stats.MAD_TO_SIGMA * stats.finite(mad), 0.01 * size), floor)
    # the window's median, peak and trough as three rows: each move's score and relative change in
    # one call per operation, the arithmetic of each the same
    levels = np.array([anomaly, peak, trough])
    moved = levels - baseline
    scores = moved / sigma
    rels = np.abs(moved) / np.maximum(np.maximum(size, np.abs(levels)), floor)
    delta = moved[0]
    both_small = (np.abs(anomaly) < floor) & (size < floor)
    # anomaly / baseline keeps its meaning for negative series; a ~0 baseline is floored.
    denominator = np.where(size >= floor, baseline, floor)
    return _Moves(
        n_in=n_in,
        n_out=normal.n_out,
        baseline=baseline,
        anomaly=anomaly,
        peak=peak,
        delta=delta,
        ratio=np.where(both_small, 1.0, anomaly / denominator),
        score=scores[0],
        rel=rels[0],
        peak_score=scores[1],
        peak_rel=rels[1],
        trough_score=scores[2],
        trough_rel=rels[2],
        n_high=stats.share_beyond(ordered, baseline + EXCURSION_SCORE * sigma, above=True, n=n_in) * n_in,
        n_low=stats.share_beyond(ordered, baseline - EXCURSION_SCORE * sigma, above=False, n=n_in) * n_in,
        corr=stats.row_time_correlation(inside, n_in),
        sigma=sigma,
        floor=floor,
    )


def _compare(parts: Sequence[tuple[_Grouped, _Moves]]) -> list[tuple[list[Fact], list[str]]]:
    """The signal facts of each window, one per metric of its ``grouped`` (the rows its ``moves``
    measured), and the metrics skipped for too few samples.

    Every number of a fact is its metric's own, so the windows are classified and rounded as one
    (their rows end to end): the numpy calls are per incident, not per window.
    """
    moves = parts[0][1] if len(parts) == 1 else _Moves.joined([m for _, m in parts])
    percent = np.concatenate([g.percent for g, _ in parts]) if len(parts) > 1 else parts[0][0].percent
    headroom = np.concatenate([g.headroom for g, _ in parts]) if len(parts) > 1 else parts[0][0].headroom
    directions, shapes, confidence = _classify(moves, percent, headroom)
    # Python floats, not numpy scalars: ~100 facts per window are built one attribute at a time;
    # rounded in one call, the six statistics end to end
    size = moves.n_in.size
    rounded = _sig4(
        np.concatenate([moves.baseline, moves.anomaly, moves.delta, moves.ratio, moves.score, moves.peak])
    )
    columns = zip(
        moves.n_in.tolist(),
        moves.n_out.tolist(),
        rounded[:size],
        rounded[size : 2 * size],
        rounded[2 * size : 3 * size],
        rounded[3 * size : 4 * size],
        rounded[4 * size : 5 * size],
        rounded[5 * size :],
        np.round(confidence, 4).tolist(),
        shapes,
        directions,
        strict=True,
    )
    out: list[tuple[list[Fact], list[str]]] = []
    new, set_dict = Fact.__new__, _SET_DICT
    set_given, set_extra, set_private = _SET_GIVEN, _SET_EXTRA, _SET_PRIVATE
    for grouped, _ in parts:
        kept: list[Fact] = []
        skipped: list[str] = []
        for (
            metric_id,
            source,
            (flat, moved),
            (n_in, n_out, baseline, anomaly, delta, ratio, score, peak, conf, shape, direction),
        ) in zip(
            grouped.ids,
            grouped.sources,
            grouped.texts,
            itertools.islice(columns, len(grouped.ids)),
            strict=True,
        ):
            if n_in < MIN_INSIDE or n_out < MIN_OUTSIDE:
                skipped.append(f"{metric_id}: {n_in} samples inside and {n_out} outside the window")
                continue
            attrs: dict[str, float | str | bool] = {
                "baseline": baseline,
                "anomaly": anomaly,
                "delta": delta,
                "ratio": ratio,
                "score": score,
                "peak": peak,
                "confidence": conf,
                "shape": shape,
                "direction": direction,
            }
            # printf-style, the metric's name and unit already in its sentence (``_texts``): one
            # call per sentence, half the cost of an f-string's ``:g`` fields, same text
            if shape == "flat":
                text = flat % (baseline, anomaly, score)
            else:
                text = moved % (direction, shape, baseline, anomaly, ratio, score, peak)
            # what ``Fact.model_construct`` does, without resolving aliases and defaults a signal
            # fact does not use: ~100 facts per window, each of values already of the field types
            # (Python floats, the shape and direction names), which validating would only check
            # again; the slots are set through their descriptors, as ``object.__setattr__`` would
            fact = new(Fact)
            set_dict(
                fact,
                {
                    "kind": "signal",
                    "name": metric_id,
                    "attrs": attrs,
                    "certainty": 1.0,
                    "source": source,
                    "text": text,
                },
            )
            set_given(fact, set(_FIELDS_SET))  # each fact its own set, as pydantic gives it
            set_extra(fact, None)
            set_private(fact, None)
            kept.append(fact)
        out.append((kept, skipped))
    return out


# Every field of a signal fact is given.
_FIELDS_SET = frozenset(Fact.model_fields)
# The slots of a pydantic model, set as ``object.__setattr__`` sets them, without its look-up by name.
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_GIVEN = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__


def _classify(
    m: _Moves, percent: NDArray[np.bool_], headroom: NDArray[np.bool_]
) -> tuple[list[str], list[str], Vector]:
    """Direction, shape and confidence of every metric: a sustained move first, else a brief excursion."""
    with np.errstate(invalid="ignore", divide="ignore"):
        # how sure each move is (its size in noise units and relative to its level), for the median's,
        # the peak's and the trough's as three rows
        size = np.abs(np.array([m.score, m.peak_score, m.trough_score]))
        conf = np.tanh(size / CONFIDENCE_SCORE_SCALE) * np.tanh(
            np.array([m.rel, m.peak_rel, m.trough_rel]) / CONFIDENCE_REL_SCALE
        )
        confidence = conf[0]
        sustained = (size[0] >= DIRECTION_SCORE) & (m.rel >= DIRECTION_REL)
        up = m.delta > 0
        saturated = sustained & up & percent & (m.anomaly >= SATURATION_PERCENT) & ~headroom
        trend = sustained & (np.abs(m.corr) >= TREND_CORRELATION) & ((m.corr > 0) == up)
        n_in = m.n_in.astype(np.float64)
        spike = ~sustained & (m.peak_score >= EXCURSION_SCORE) & (m.n_high >= EXCURSION_SAMPLES)
        spike &= m.peak_rel >= DIRECTION_REL
        drop = ~sustained & ~spike & (m.trough_score <= -EXCURSION_SCORE) & (m.n_low >= EXCURSION_SAMPLES)
        drop &= m.trough_rel >= DIRECTION_REL
        # the excursions' weighted confidence, the peak's row and the trough's
        high, low = EXCURSION_WEIGHT * conf[1:] * _support(np.array([m.n_high, m.n_low]) / n_in)
    confidence = np.where(spike, np.maximum(confidence, high), confidence)
    confidence = np.where(drop, np.maximum(confidence, low), confidence)
    # integer codes, named once per metric: numpy's string arrays cost more than the whole test
    heading = np.where(sustained, np.where(up, 1, 2), np.where(spike, 1, np.where(drop, 2, 0)))
    # the first that holds of saturation, trend, level shift, spike, drop (``np.select``'s order)
    form = np.where(
        saturated,
        1,
        np.where(sustained, np.where(trend, 2, 3), np.where(spike, 4, np.where(drop, 5, 0))),
    )
    directions = list(map(_DIRECTIONS.__getitem__, heading.tolist()))
    shapes = list(map(_SHAPES.__getitem__, form.tolist()))
    return directions, shapes, confidence


_DIRECTIONS = ("none", "up", "down")
_SHAPES = ("flat", "saturation", "trend", "level_shift", "spike", "drop")


def _support(share: Vector) -> Vector:
    """Two wild samples in a long window say less than a fifth of the window being wild."""
    out: Vector = np.tanh(share / EXCURSION_SHARE_SCALE)
    return out


def _sig4(values: Vector) -> list[float]:
    """Four significant digits (0 for a value that is not finite): enough for rules, stable for
    explanations and snapshots; the whole vector at once, not one formatted string per value."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        finite = np.isfinite(values) & (values != 0.0)
        safe = np.where(finite, values, 1.0)
        digits = 3.0 - np.floor(np.log10(np.abs(safe)))
        # scale by an exact power of ten, round, and undo it the same exact way
        # (the other way, the power is 10 ** 0: 1 exactly)
        up = 10.0 ** np.maximum(digits, 0.0)
        down = 10.0 ** np.maximum(-digits, 0.0)
        scaled = safe * up / down
        whole = np.round(scaled)
        rounded = whole * down / up
        # the decimal text decides what the binary product cannot: a value next to a tie
        # (0.88715 is just below one), a fifth digit carried in (9999.7), or a power of ten
        # beyond 1e22, which is not an exact double
        unsure = (
            (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6)
            | (np.abs(whole) >= 1e4)
            | (np.abs(digits) > EXACT_POWER)
        )
    out: list[float] = np.where(finite, rounded, 0.0).tolist()
    for i in np.flatnonzero(finite & unsure).tolist():
        out[i] = float(f"{float(values[i]):.4g}")
    return out
