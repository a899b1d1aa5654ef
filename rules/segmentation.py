"""Mean-shift segmentation of a (metrics x samples) matrix, in time linear in the samples.

Every metric is robust-standardised against its own series (median/MAD of the
whole capture, clipped at ``Z_CLIP`` so a metric with a near-zero MAD cannot
decide alone; running totals carry no window information and are silenced).
A segment's *gain* is the statistic of a two-change-point mean-shift model,
``sum_m n_in * n_out / n * (mean_in - mean_out)**2``: how much better the
capture is described as "this segment, and the rest" than as one level.

Captures can be long (a day of one-second samples is 86,400 columns), and the
exact search over every segment costs the square of the samples. So the
search runs on a grid of at most ``GRID_POINTS`` block means (exact below
that), and each boundary it finds is then placed at full resolution by a
one-change-point search within a block of either side: linear time and
memory in the samples overall. Standardising works on a few rows at a time,
so a long capture is never copied whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rules import stats
from rules.stats import Matrix, Vector

Z_CLIP = 6.0
# A running total grows through the capture: it says nothing about where the anomaly is.
MONOTONE_CORRELATION = 0.95
# The shortest stretch of samples the search calls an anomaly. An onset reaches its level in fewer.
MIN_SEGMENT = 5
# Columns of the search grid; below this the grid is the samples themselves.
GRID_POINTS = 256
# Rows standardised at once: bounds the temporary copies of a long capture.
ROW_CHUNK = 16
# Cells standardised at once when more rows than ``ROW_CHUNK`` fit: a short capture in one go.
CHUNK_CELLS = 1 << 16
# Samples a row's median and MADs are estimated from, at most (evenly spread over the capture).
SCALE_SAMPLES = 4096


@dataclass(frozen=True)
class Scaling:
    """Each metric's robust centre and scale; ``votes`` is False for metrics that must not vote."""

    centre: Vector
    sigma: Vector
    votes: NDArray[np.bool_]

    def z(self, values: Matrix, first_row: int = 0) -> Matrix:
        """Clipped robust z of ``values`` (rows ``first_row``.. of the metrics); NaN and silenced rows read 0."""
        rows = slice(first_row, first_row + values.shape[0])
        with np.errstate(invalid="ignore"):
            out = (values - self.centre[rows, None]) / self.sigma[rows, None]
        # NaN reads 0; the infinities, like every large z, are clipped
        out[np.isnan(out)] = 0.0
        np.minimum(out, Z_CLIP, out=out)
        np.maximum(out, -Z_CLIP, out=out)
        out[~self.votes[rows]] = 0.0
        return out


def fit_scaling(values: Matrix, *, robust: bool = True) -> Scaling:
    """Centre and scale of every row: robust (median and MAD of the whole series), or not.

    Without ``robust`` it is the mean and standard deviation, every metric
    votes, and it costs a tenth: enough to place the change points of a short
    stretch.
    """
    if not robust:
        if not values.size:
            empty = np.zeros(values.shape[0])
            return Scaling(empty, np.full(values.shape[0], 1e-9), np.ones(values.shape[0], dtype=bool))
        mean, spread = _nan_mean_std(values)
        with np.errstate(invalid="ignore"):
            top = stats.finite(np.fmax.reduce(np.abs(values), axis=1))
        return Scaling(mean, np.maximum(spread, 0.05 * top + 1e-9), np.ones(values.shape[0], dtype=bool))
    return fit_scalings(values)[0]


def _nan_mean_std(values: Matrix) -> tuple[Vector, Vector]:
    """Each row's mean and standard deviation ignoring NaN (0 for a row without samples): the
    arithmetic of ``np.nanmean`` and ``np.nanstd``, step for step, without their generic set-up,
    which costs more than the sums on a window of a hundred metrics."""
    missing = np.isnan(values)
    dense = not missing.any()
    # without a missing sample, the filled copy and the masked deviations are the values themselves
    filled = values if dense else np.where(missing, 0.0, values)
    count = (
        np.full(values.shape[0], values.shape[1], dtype=np.intp)
        if dense
        else (~missing).sum(axis=1, dtype=np.intp)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / count
        deviation = filled - mean[:, None]
        if not dense:
            deviation[missing] = 0.0
        spread = np.sqrt((deviation * deviation).sum(axis=1) / count)
    return stats.finite(mean), stats.finite(spread)


def fit_scalings(values: Matrix) -> tuple[Scaling, Scaling]:
    """Two robust scalings of every row, a few rows at a time, in one pass over the capture.

    Both centre each series on its median; the first scales it by the MAD of
    the whole series, the second by the MAD of its steps from sample to sample
    (over the square root of two): the noise within a level, which a level
    shift does not inflate. Either is floored at a twentieth of the series'
    largest value, so a metric with one wild burst hardly votes.
    """
    m, t = values.shape
    centre, spread, steps, scale = np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)
    votes = np.ones(m, dtype=bool)
    # A long capture's medians come from an even subsample: as good an estimate, a fraction of the sort.
    stride = max(1, -(-t // SCALE_SAMPLES))
    picked = np.arange(0, t, stride)
    for lo in range(0, m, ROW_CHUNK):
        rows = slice(lo, lo + ROW_CHUNK)
        block = values[rows]
        sample = block[:, picked] if stride > 1 else block
        dense = not np.isnan(block).any()
        mid = np.median(sample, axis=1) if dense and t else stats.row_median(sample)
        deviation = np.abs(sample - mid[:, None])
        after = picked[picked + 1 < t]
        step = np.abs(block[:, after + 1] - block[:, after]) if stride > 1 else np.abs(np.diff(block, axis=1))
        if dense and t > 1:
            spread[rows] = np.median(deviation, axis=1)
            steps[rows] = np.median(step, axis=1)
        else:
            spread[rows] = stats.finite(stats.row_median(deviation))
            steps[rows] = stats.finite(stats.row_median(step))
        centre[rows] = stats.finite(mid)
        top = np.abs(block).max(axis=1) if dense and t else np.abs(stats.row_extreme(block, largest=True))
        scale[rows] = stats.finite(top)
        climbs = _only_climbs(block)
        votes[rows] = (np.abs(_time_correlation(sample, dense)) < MONOTONE_CORRELATION) & ~climbs
    floor = 0.05 * scale + 1e-9
    whole = Scaling(centre, np.maximum(stats.MAD_TO_SIGMA * spread, floor), votes)
    local = Scaling(centre, np.maximum(stats.MAD_TO_SIGMA / np.sqrt(2.0) * steps, floor), votes)
    return whole, local


def _only_climbs(block: Matrix) -> NDArray[np.bool_]:
    """Rows that never fall and climb for longer than an onset takes: a running total or a
    high-water mark (a maximum so far).

    Either climbs whatever happens, so where it steps up says nothing about
    where the anomaly is; a real anomaly moves the rates and gauges beside it.
    A gauge that rises to a new level and stays is a level shift, the shape of
    an anomaly lasting to the end of the capture, however many samples its
    onset spans (clients connecting through several intervals), as long as
    they are fewer than the shortest anomaly (``MIN_SEGMENT``): a climb that
    lasts as long as an anomaly does, or resumes, is a total.
    """
    with np.errstate(invalid="ignore"):
        steps = np.diff(block, axis=1)
    falls: NDArray[np.bool_] = np.any(steps < 0, axis=1)
    rising = steps > 0
    count = np.count_nonzero(rising, axis=1)
    if not rising.shape[1]:
        return np.zeros(block.shape[0], dtype=bool)  # one sample: nothing climbs
    # one run of rises: its first rise and its last are ``count`` steps apart
    first = np.argmax(rising, axis=1)
    last = rising.shape[1] - 1 - np.argmax(rising[:, ::-1], axis=1)
    onset: NDArray[np.bool_] = (last - first + 1 == count) & (count < MIN_SEGMENT)
    climbs: NDArray[np.bool_] = (count > 0) & ~(falls | onset)
    return climbs


def _time_correlation(block: Matrix, dense: bool) -> Vector:
    """Pearson correlation of each row with time; one product per row when no sample is missing."""
    if not dense or block.shape[1] < 3:
        return stats.row_time_correlation(block)
    t = np.arange(block.shape[1], dtype=np.float64)
    t -= t.mean()
    centred = block - block.mean(axis=1, keepdims=True)
    var = np.sqrt(float(t @ t) * np.einsum("ij,ij->i", centred, centred))
    corr: Vector = np.where(var > 0, (centred @ t) / np.where(var > 0, var, 1.0), 0.0)
    return corr


@dataclass(frozen=True)
class Grid:
    """The search grid: block means of the standardised capture, ``block`` samples per column."""

    z: Matrix
    block: int
    samples: int

    def start_of(self, column: int) -> int:
        return min(column * self.block, self.samples)


def grid(values: Matrix, scaling: Scaling, points: int = GRID_POINTS) -> Grid:
    """The standardised capture, averaged over blocks so that it has at most ``points`` columns."""
    m, t = values.shape
    block = block_size(t, points)
    chunk = max(ROW_CHUNK, CHUNK_CELLS // max(t, 1))
    if m <= chunk:
        # a short capture in one go: its block means are the grid, no copy into it needed
        return Grid(block_means(scaling.z(values), block), block, t)
    out = np.zeros((m, -(-t // block)))
    for lo in range(0, m, chunk):
        out[lo : lo + chunk] = block_means(scaling.z(values[lo : lo + chunk], lo), block)
    return Grid(out, block, t)


def block_size(samples: int, points: int) -> int:
    """Samples per block so that ``samples`` fit in at most ``points`` blocks."""
    return max(1, -(-samples // points))


def block_means(z: Matrix, block: int) -> Matrix:
    """Each row averaged over consecutive blocks of ``block`` columns (the last may be shorter)."""
    if block == 1:
        return z
    m, t = z.shape
    n = -(-t // block)
    padded = np.zeros((m, n * block))
    padded[:, :t] = z
    counts = np.bincount(np.arange(t) // block, minlength=n).astype(np.float64)
    out: Matrix = padded.reshape(m, n, block).sum(axis=2) / counts
    return out


def split_point(z: Matrix, min_len: int) -> tuple[int, float]:
    """The one change point of ``z`` that best splits it in two, and its gain (-inf if too short)."""
    if z.shape[1] < 2 * min_len:
        return 0, -np.inf
    return _split(np.cumsum(z, axis=1), min_len)


def _split(csum: Matrix, min_len: int) -> tuple[int, float]:
    """``split_point`` of the series whose running sums along each row are ``csum``."""
    t = csum.shape[1]
    if t < 2 * min_len:
        return 0, -np.inf
    total = csum[:, -1]
    tau = np.arange(min_len, t - min_len + 1)
    left = csum[:, min_len - 1 : t - min_len]  # the running sums at tau - 1
    n_left = tau.astype(np.float64)
    n_right = t - n_left
    diff = left / n_left - (total[:, None] - left) / n_right
    gain = (diff * diff).sum(axis=0) * n_left * n_right / t
    best = int(np.argmax(gain))
    return int(tau[best]), float(gain[best])


def refine(values: Matrix, scaling: Scaling, boundary: int, reach: int, min_len: int) -> int:
    """A boundary found on the coarse grid, placed at full resolution within ``reach`` samples."""
    t = values.shape[1]
    if reach <= 1:
        return boundary
    lo = max(0, boundary - 2 * reach)
    hi = min(t, boundary + 2 * reach)
    tau, gain = split_point(scaling.z(values[:, lo:hi]), min(min_len, max(1, (hi - lo) // 4)))
    found = lo + tau
    if not np.isfinite(gain) or abs(found - boundary) > reach:
        return boundary
    return found


def change_points(z: Matrix, count: int, min_len: int) -> list[int]:
    """Up to ``count`` change points by binary segmentation, strongest split first."""
    pending: list[tuple[float, int, int, int]] = []
    # each pending segment's running sums: a running sum is added up from the segment's start, so
    # the left part of a split is the first columns of its segment's, to the last bit
    sums: dict[tuple[int, int], Matrix] = {}

    def consider(lo: int, hi: int, csum: Matrix | None = None) -> None:
        if hi - lo < 2 * min_len:
            return
        if csum is None:
            csum = np.cumsum(z[:, lo:hi], axis=1)
        tau, gain = _split(csum, min_len)
        if np.isfinite(gain) and gain > 0:
            pending.append((gain, lo + tau, lo, hi))
            sums[(lo, hi)] = csum

    consider(0, z.shape[1])
    found: list[int] = []
    while pending and len(found) < count:
        pending.sort()
        _, tau, lo, hi = pending.pop()
        found.append(tau)
        if len(found) == count:
            break
        consider(lo, tau, sums.pop((lo, hi))[:, : tau - lo])
        consider(tau, hi)
    return sorted(found)
