"""Onset and end of an anomaly, online: window inference and the healthy test over the latest samples.

The question asked of a capture after the fact (``rules.window.search``: is
there a segment unlike the rest, and does it clear the capture's own noise?)
is asked of the watcher's recent samples as each one arrives. An anomaly is
under way when a significant segment runs up to the newest sample; it has
ended when the segments found against the baseline kept from before its onset
no longer reach the newest samples. Nothing here is a threshold of its own:
the segment and its significance are the rules' (``rules.window``,
``rules.health``), so the watcher and ``sleuth diagnose`` agree on what is
abnormal.

Two things are particular to watching:

- the same capture is asked again every second, so one significant answer
  could be the one-in-a-hundred of the null; an onset is taken only when
  ``confirm`` consecutive answers agree on it (the same onset, still running);
- significance is not size: with a view of minutes, a shift of a fraction
  of the noise is significant; an onset must also be material
  (``rules.materiality``, as ``sleuth diagnose`` asks of a capture): move ``MIN_MOVED`` metrics
  each as far as a signal needs to count as having moved (in noise units and
  relative to its level), and one service metric at least as far as some rule
  of the book requires a service metric to move before it names a cause
  (``service_bar``);
- samples where the watcher could not see the server (a gap, the settling
  after reconnecting) and those of earlier incidents are no baseline: they
  are left out of the matrix rather than set to normal.

Host figures (``host.*``, read from /proc when the server is local) do not
vote: they exist only for local servers, and a neighbour's load on the same
machine is not the database's anomaly. The diagnosis still reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rules import window
from rules.materiality import DIRECTION_REL, describes_service, material
from rules.signals import HOST_PREFIX
from rules.stats import Matrix
from sleuth.watch.ring import Names, Packed

RATE_SUFFIX = ":rate"
# A first, cheap look with a tenth of the draws: a segment whose shift a fifth of these draws reach,
# or too small to be an incident, is not looked at with the full test (most looks end here).
SCREEN_RESAMPLES = 19
SCREEN_P = 0.2

Resolve = Callable[[str], "str | None"]
# Below this many samples a view has too little normal time before any segment to test: the
# bootstrap's null is drawn from the view's own residuals, and a few dozen samples of a quiet server
# (a session or two flipping between idle and busy) make a poor picture of its noise.
MIN_VIEW = 8 * window.MIN_SEGMENT


@dataclass(frozen=True)
class Row:
    """One sample as the detector sees it: per-second rates of the counters and the gauges' levels."""

    time: float
    names: Names
    values: np.ndarray


class Voters:
    """Which rows are host figures (no vote) and which describe the service, by the graph's names; and
    how far a service metric must move (``rules.materiality.service_bar``)."""

    def __init__(self, resolve: Resolve | None = None, bar: float = DIRECTION_REL) -> None:
        self._resolve = resolve
        self.bar = bar
        self._cache: dict[Names, tuple[np.ndarray, np.ndarray]] = {}

    def masks(self, names: Names) -> tuple[np.ndarray, np.ndarray]:
        """(voting rows, service rows among the voting ones) for one layout of rows."""
        found = self._cache.get(names)
        if found is None:
            votes = np.array([not n.startswith(HOST_PREFIX) for n in names], dtype=bool)
            kept = [n for n, v in zip(names, votes, strict=True) if v]
            service = np.array([self._service(n) for n in kept], dtype=bool)
            found = (votes, service)
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[names] = found
        return found

    def _service(self, name: str) -> bool:
        if self._resolve is None:
            return True
        return describes_service(self._resolve(name.removesuffix(RATE_SUFFIX)))


class Rows:
    """Turns consecutive packed samples into rows; a gap (or a counter going down) gives NaN rates."""

    def __init__(self) -> None:
        self._previous: Packed | None = None
        self._names: dict[tuple[Names, Names], Names] = {}

    def reset(self) -> None:
        self._previous = None

    def row(self, packed: Packed) -> Row:
        prev = None if packed.gap is not None else self._previous
        self._previous = packed
        counters = _rates(prev, packed)
        key = (packed.counter_names, packed.gauge_names)
        names = self._names.get(key)
        if names is None:
            names = tuple(f"{n}{RATE_SUFFIX}" for n in packed.counter_names) + packed.gauge_names
            self._names = {key: names}
        values = np.concatenate([counters, packed.gauges])
        return Row(packed.time, names, values)


def _rates(prev: Packed | None, cur: Packed) -> np.ndarray:
    out = np.full(cur.counters.size, np.nan)
    if prev is None:
        return out
    dt = cur.time - prev.time
    if dt <= 0:
        return out
    if prev.counter_names is cur.counter_names or prev.counter_names == cur.counter_names:
        before = prev.counters
    else:
        index = {n: i for i, n in enumerate(prev.counter_names)}
        before = np.array([prev.counters[index[n]] if n in index else np.nan for n in cur.counter_names])
    with np.errstate(invalid="ignore"):
        step = cur.counters - before
        out = np.where(step >= 0, step / dt, np.nan)
    return out


def matrix(rows: Sequence[Row], voters: Voters | None = None) -> tuple[Matrix, np.ndarray]:
    """(metrics x samples) of the voting metrics, NaN where a sample lacks one; and which rows of it
    describe the service."""
    voters = voters or Voters()
    if not rows:
        return np.zeros((0, 0)), np.zeros(0, dtype=bool)
    first = rows[0].names
    if all(r.names is first or r.names == first for r in rows):
        keep, service = voters.masks(first)
        values: Matrix = np.vstack([r.values for r in rows]).T[keep]
        return varying(filled(values), service)
    layouts = {id(r.names): r.names for r in rows}
    names = tuple(sorted({n for layout in layouts.values() for n in layout if not n.startswith(HOST_PREFIX)}))
    where = {n: i for i, n in enumerate(names)}
    # Each layout's rows of the union, once: a sample is then placed with one indexed assignment.
    placed = {
        key: (
            np.array([i for i, n in enumerate(layout) if n in where], dtype=np.intp),
            np.array([where[n] for n in layout if n in where], dtype=np.intp),
        )
        for key, layout in layouts.items()
    }
    out = np.full((len(names), len(rows)), np.nan)
    for j, r in enumerate(rows):
        source, target = placed[id(r.names)]
        out[target, j] = r.values[source]
    return varying(filled(out), voters.masks(names)[1])


def varying(values: Matrix, service: np.ndarray) -> tuple[Matrix, np.ndarray]:
    """Only the metrics that changed in the view: a constant one has no segment and no vote, and a
    server shows hundreds of them (most status variables never move)."""
    if values.shape[1] == 0:
        return values, service
    moving = np.ptp(values, axis=1) > 0
    return values[moving], service[moving]


def filled(values: Matrix) -> Matrix:
    """Each missing value replaced by the nearest one before it (after it, at the start of a row).

    A rate is missing where the watcher could not compute it (the first sample
    after connecting, a counter that went down) or a metric where one sample
    lacked it: no evidence either way, so it takes its neighbour's value rather
    than make the whole matrix take the statistics' slow path for missing data.
    A row with no value at all is a constant zero, which never votes.
    """
    missing = np.isnan(values)
    if not missing.any():
        return values
    columns = np.arange(values.shape[1])
    rows = np.arange(values.shape[0])[:, None]
    before = np.maximum.accumulate(np.where(missing, 0, columns), axis=1)
    out = values[rows, before]
    missing = np.isnan(out)
    if missing.any():
        after = np.minimum.accumulate(np.where(missing, columns[-1], columns)[:, ::-1], axis=1)[:, ::-1]
        out = out[rows, after]
    return np.nan_to_num(out, nan=0.0)


@dataclass(frozen=True)
class Finding:
    """What one look at the view found: the ongoing segment's first sample, if any, and the test."""

    onset: float | None
    p_value: float | None
    checked: bool


def ongoing(rows: Sequence[Row], voters: Voters | None = None) -> Finding:
    """The start time of a significant segment that runs to the newest row, or ``None``.

    The segmentation without the bootstrap comes first: when its strongest
    segment does not reach the newest sample, nothing is starting now and
    the test (most of the cost) is not run. Then the test with a tenth of its
    draws, and the segment's size: only a segment that passes both is tested
    in full.
    """
    if len(rows) < MIN_VIEW:
        return Finding(None, None, False)
    bar = voters.bar if voters is not None else DIRECTION_REL
    values, service = matrix(rows, voters)
    if values.size == 0:
        return Finding(None, None, False)
    last = values.shape[1] - 1
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        quick = window.search(values, resamples=0)
        if quick.best[1] != last:
            return Finding(None, None, False)
        first = window.search(values, resamples=SCREEN_RESAMPLES)
        if (
            first.test is None
            or first.test.p_value > SCREEN_P
            or not material(values, first.best, first.shift, service, bar)
        ):
            return Finding(None, first.test.p_value if first.test else None, True)
        found = window.search(values)
    p = found.test.p_value if found.test is not None else None
    running = [w for w in found.windows if w[1] == last and w[1] - w[0] + 1 >= window.MIN_SEGMENT]
    if not running or (
        running[0] == found.best and not material(values, found.best, found.shift, service, bar)
    ):
        return Finding(None, p, True)
    return Finding(rows[running[0][0]].time, p, True)


class OnsetWatch:
    """Confirms onsets: the same one found by ``confirm`` consecutive looks (within ``slack_s``)."""

    def __init__(self, confirm: int, slack_s: float) -> None:
        self.confirm = max(1, confirm)
        self.slack_s = slack_s
        self._streak: list[float] = []

    def reset(self) -> None:
        self._streak = []

    def look(self, finding: Finding) -> float | None:
        """The onset once confirmed (the earliest of the agreeing looks), else ``None``."""
        if finding.onset is None:
            self._streak = []
            return None
        if self._streak and abs(finding.onset - self._streak[-1]) > self.slack_s:
            self._streak = []
        self._streak.append(finding.onset)
        if len(self._streak) >= self.confirm:
            onset = min(self._streak)
            self._streak = []
            return onset
        return None


def abnormal_until(
    baseline: Sequence[Row], incident: Sequence[Row], voters: Voters | None = None
) -> float | None:
    """When the strongest abnormal segment of the newest samples ends; None when none is abnormal.

    The view is the baseline and the latest incident samples (at most twice as
    many as the baseline, so the anomaly stays a segment the test may weigh);
    the incident goes on while the strongest segment, significant and moving
    material (``rules.materiality``), reaches the newest sample. Once calm samples enough
    for a segment of their own follow it, the segment ends where the anomaly did.
    A weaker segment after it is the server's state after the incident (a plan
    that changed, tables vacuumed), a new normal rather than the same anomaly: it
    becomes the baseline the next onset is measured against.
    """
    if not incident:
        return None
    if not baseline:
        return incident[-1].time
    recent = list(incident[-2 * len(baseline) :])
    rows = [*baseline, *recent]
    values, service = matrix(rows, voters)
    if values.size == 0:
        return None
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        found = window.search(values)
    bar = voters.bar if voters is not None else DIRECTION_REL
    if not found.windows or not material(values, found.best, found.shift, service, bar):
        return None
    return rows[found.best[1]].time
