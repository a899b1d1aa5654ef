"""Finding the anomaly windows when an incident does not say where they are.

Real incidents rarely come with a labelled window, so sleuth finds them: a
window is a contiguous segment whose metrics differ most, jointly, from the
rest of the capture (``rules.segmentation``). The strongest one is tested
against the capture's own block-permutation null (``rules.health``): when it
is not significant, nothing in the capture is abnormal. Further windows
(another anomaly later in the capture) are searched with the found ones set
to normal and kept while they clear the same null threshold.

A segment touching the start of the capture and its complement score the
same; the one that does not start the capture is the anomaly, because
captures are pulled from before the trouble began: every window has a normal
lead-in of at least ``MIN_SEGMENT`` samples (``rules.health.allowed``). Live
captures start normal and run into the anomaly, so the anomaly touches the
end; there, one odd first sample (a rate over a partial first interval, a
counter read before the collector settled) would make "everything after the
first sample up to the onset" look like the anomaly, so the first sample
carries no vote of its own (it takes its neighbour's value).

Inside a window, causes may come and go at different times (one anomaly
starts, another joins it later): ``sub_windows`` proposes the parts a window
splits into, so each can be measured on its own.

Also here: the collector warm-up at the start of a capture (DBSherlock's
first seconds are mostly zeros), which must not count as "normal"; captures
sleuth's own collectors took have none (``Incident.has_warm_up``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rules import health, segmentation, stats
from rules.segmentation import MIN_SEGMENT as MIN_SEGMENT  # the window's shortest; an onset is shorter
from rules.stats import Matrix, Vector

MAX_WINDOWS = 3
# Change points looked for inside a window: up to three parts.
MAX_SPLITS = 2
# The shortest part of a window measured on its own: an onset or a recovery burst lasts a few
# samples, a second cause's window at least twice the shortest window.
MIN_PART = 2 * MIN_SEGMENT
# Warm-up rows: leading rows where many more metrics read zero than usual.
WARMUP_EXTRA_ZERO_SHARE = 0.2
WARMUP_MAX_SHARE = 0.5

Span = tuple[int, int]


@dataclass(frozen=True, eq=False)
class Search:
    """What window inference found: the strongest segment and every significant one.

    ``windows`` is empty when the strongest segment is not significant (a
    healthy capture); ``best`` is always the strongest segment, for reporting.
    ``test`` is ``None`` when the capture is too short to test.
    """

    best: Span
    windows: list[Span]
    test: health.NullTest | None
    shift: Vector | None = None
    """Per metric, how far the strongest segment's mean sits from the rest's, in units of the
    metric's sample-to-sample noise (clipped): what the test weighed."""


def warmup_length(values: Matrix) -> int:
    """How many leading samples are collector warm-up (far more zeros than usual)."""
    if values.size == 0 or values.shape[1] < 8:
        return 0
    missing = np.isnan(values)
    # a missing sample is never a zero (NaN == 0 is false), and without one every column has them all
    zero = (values == 0).sum(axis=0)
    zeros = zero / np.maximum((~missing).sum(axis=0), 1) if missing.any() else zero / max(values.shape[0], 1)
    # what the running collector reads: the later half, which the warm-up never reaches
    typical = stats.median(zeros[values.shape[1] // 2 :])
    cap = int(values.shape[1] * WARMUP_MAX_SHARE)
    n = 0
    while n < cap and zeros[n] > typical + WARMUP_EXTRA_ZERO_SHARE:
        n += 1
    return n


def search(values: Matrix, resamples: int = health.RESAMPLES) -> Search:
    """Every significant abnormal segment (column indices, inclusive), strongest first."""
    t = values.shape[1]
    scaling, local = segmentation.fit_scalings(values)
    g = segmentation.grid(values, scaling)
    z = g.z
    if g.block == 1 and t > 1:
        # The first sample is often a partial interval (rates) and must not break the start/end tie.
        z[:, 0] = z[:, 1]
    min_len = max(1, -(-MIN_SEGMENT // g.block))
    n = z.shape[1]
    found = health.best(z, health.allowed(n, min_len))
    if found is None:
        whole = (0, max(0, t - 1))
        return Search(whole, [whole], None)
    first = (found[0], found[1])
    best = _full_resolution(values, scaling, g, first)
    if resamples <= 0:
        return Search(best, [best], None)
    noise = segmentation.grid(values, local).z
    if g.block == 1 and t > 1:
        noise[:, 0] = noise[:, 1]
    inside = np.zeros(n, dtype=bool)
    inside[first[0] : first[1] + 1] = True
    shift = noise[:, inside].mean(axis=1) - noise[:, ~inside].mean(axis=1)
    tz, tblock = health.coarse(noise)
    test = health.bootstrap_test(tz, _test_length(min_len, tblock), resamples)
    if test is None or not test.significant:
        return Search(best, [], test, shift)
    taken = [first]
    # Block means at a window's edges mix it with what surrounds it: they belong to neither side.
    margin = 1 if g.block > 1 else 0
    while len(taken) < MAX_WINDOWS:
        more = _another(z, noise, taken, min_len, resamples, margin, len(taken) + 1)
        if more is None:
            break
        taken.append(more)
    windows = [best]
    for span in taken[1:]:
        placed = _full_resolution(values, scaling, g, span)
        if placed[1] - placed[0] + 1 >= MIN_SEGMENT:
            windows.append(placed)
    return Search(best, windows, test, shift)


def _another(
    z: Matrix, noise: Matrix, taken: list[Span], min_len: int, resamples: int, margin: int, tests: int
) -> Span | None:
    """A further abnormal segment: the same test on the capture with the windows found cut out.

    Cut out, not set to normal: what is left must hold an anomaly of its own
    against its own noise, and a segment that would straddle a cut is none.
    It is the ``tests``-th question asked of the capture, so it must clear a
    stricter level (``NullTest.significant_among``). The segment is placed on
    the scale that test weighs (each metric's noise within a level), not on
    the capture's overall spread: once an anomaly fills half a short capture,
    a metric's spread is half its own step, and a clean step then weighs less
    than another metric's noise.
    """
    keep = np.ones(z.shape[1], dtype=bool)
    for lo, hi in taken:
        keep[max(0, lo - margin) : hi + 1 + margin] = False
    columns = np.flatnonzero(keep)
    if columns.size < 2 * min_len:
        return None
    tz, tblock = health.coarse(noise[:, columns])
    # enough draws that the stricter level can be reached at all
    test = health.bootstrap_test(tz, _test_length(min_len, tblock), resamples * tests + tests - 1)
    if test is None or not test.significant_among(tests):
        return None
    rest = noise[:, columns]
    found = health.best(rest, health.allowed(rest.shape[1], min_len))
    if found is None:
        return None
    lo, hi = int(columns[found[0]]), int(columns[found[1]])
    if hi - lo != found[1] - found[0]:
        return None
    return (lo, hi)


def _test_length(min_len: int, block: int) -> int:
    """The shortest segment the test weighs, in test-grid columns: never a single block mean.

    The residual bootstrap takes out the strongest segment's shift; were that
    segment one extreme column of noise, the draws would lack the very
    excursion the statistic found, and noise would look significant.
    """
    return max(2, -(-min_len // block))


def infer_window(values: Matrix) -> Span:
    """Column indices (inclusive) of the most anomalous contiguous segment, significant or not."""
    return search(values, resamples=0).best


def sub_windows(values: Matrix, lo: int, hi: int) -> list[Span]:
    """The parts a window [lo, hi] splits into at its strongest change points, and their unions.

    Candidates only: whether a part shows something the whole window hides is
    for the signals to say (a metric that moved in one part only).
    """
    if hi - lo + 1 < 2 * MIN_PART:
        return []
    inside = values[:, lo : hi + 1]
    g = segmentation.grid(inside, segmentation.fit_scaling(inside, robust=False))
    min_len = max(1, -(-MIN_PART // g.block))
    cuts = segmentation.change_points(g.z, MAX_SPLITS, min_len)
    if not cuts:
        return []
    edges = [0, *(g.start_of(c) for c in cuts), hi - lo + 1]
    spans: list[Span] = []
    for i in range(len(edges) - 1):
        for j in range(i + 1, len(edges)):
            if (i, j) != (0, len(edges) - 1):
                spans.append((lo + edges[i], lo + edges[j] - 1))
    return spans


def _full_resolution(values: Matrix, scaling: segmentation.Scaling, g: segmentation.Grid, span: Span) -> Span:
    """A segment of the search grid in sample indices, its edges placed at full resolution."""
    t = values.shape[1]
    start = g.start_of(span[0])
    stop = g.start_of(span[1] + 1)
    if g.block > 1:
        if start > 0:
            start = segmentation.refine(values, scaling, start, g.block, MIN_SEGMENT)
        if stop < t:
            stop = segmentation.refine(values, scaling, stop, g.block, MIN_SEGMENT)
    return (start, max(start, min(t, stop) - 1))
