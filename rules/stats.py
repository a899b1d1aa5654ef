"""Row-wise robust statistics over a metrics matrix with NaN for missing samples.

Signals compare ~100 metrics per incident and must stay well under a
millisecond or two, so every statistic here works on a whole
(metrics x samples) matrix at once. ``np.nanmedian`` falls back to masked
arrays on short rows and is an order of magnitude slower than one sort, hence
the sort-based median.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]
Vector = NDArray[np.float64]

# 1.4826 * MAD estimates the standard deviation of normal data, so scores read as z-scores.
MAD_TO_SIGMA = 1.4826


def row_count(values: Matrix) -> NDArray[np.int64]:
    """Non-missing samples per row."""
    missing = np.isnan(values)
    if not missing.any():
        # a capture seldom misses a sample, and counting a boolean matrix row by row costs three
        # times the test
        full: NDArray[np.int64] = np.empty(values.shape[0], dtype=np.int64)
        full.fill(values.shape[1])
        return full
    counts: NDArray[np.int64] = (~missing).sum(axis=1, dtype=np.int64)
    return counts


def row_median(values: Matrix) -> Vector:
    """Median of each row ignoring NaN; NaN for a row with no samples."""
    return sorted_median(np.sort(values, axis=1), row_count(values))  # NaN sorts last


def sorted_median(ordered: Matrix, n: NDArray[np.int64]) -> Vector:
    """``row_median`` of rows already sorted (NaN last) with ``n`` samples each: one sort serves
    a row's median, extremes and counts."""
    if ordered.shape[1] == 0:
        return np.full(ordered.shape[0], np.nan)
    same = _same_count(n)
    if same is not None:
        # every row as long: the middle columns themselves, not an index per row
        if same == 0:
            return np.full(ordered.shape[0], np.nan)
        mid: Vector = (
            ordered[:, max((same - 1) // 2, 0)] + ordered[:, min(same // 2, ordered.shape[1] - 1)]
        ) / 2.0
        return mid
    rows = np.arange(ordered.shape[0])
    # plain ufuncs and one fancy index each: a few microseconds less per call than np.clip and
    # take_along_axis, and signals take a dozen medians per window
    lo = np.maximum((n - 1) // 2, 0)
    hi = np.minimum(n // 2, ordered.shape[1] - 1)
    med: Vector = (ordered[rows, lo] + ordered[rows, hi]) / 2.0
    med[n == 0] = np.nan
    return med


def sorted_extremes(ordered: Matrix, n: NDArray[np.int64]) -> tuple[Vector, Vector]:
    """``row_extreme`` largest and smallest of rows already sorted (NaN last) with ``n`` samples each;
    like it, refuses rows without a column (numpy's reductions have no identity for max and min)."""
    if ordered.shape[1] == 0:
        raise ValueError("zero-size array to reduction operation maximum which has no identity")
    same = _same_count(n)
    top = (
        ordered[:, max(same - 1, 0)]
        if same is not None
        else ordered[np.arange(ordered.shape[0]), np.maximum(n - 1, 0)]
    )
    bottom = ordered[:, 0]
    largest: Vector = np.where(np.isfinite(top), top, np.nan)
    smallest: Vector = np.where(np.isfinite(bottom), bottom, np.nan)
    return largest, smallest


def _same_count(n: NDArray[np.int64]) -> int | None:
    """The rows' one count of samples, when they all have as many (``None`` otherwise)."""
    if not n.size:
        return None
    first = int(n[0])
    return first if bool((n == first).all()) else None


def median(values: Vector) -> float:
    """``np.median`` of a vector (NaN when one value is NaN) by one sort, without its generic set-up:
    the middle value, or the mean of the middle two, exactly as numpy forms them."""
    if values.size == 0:
        return float("nan")
    ordered = np.sort(values)  # NaN sorts last
    if np.isnan(ordered[-1]):
        return float("nan")
    half = values.size // 2
    # numpy averages the middle value(s) with a sum that starts at 0.0, so a -0.0 comes out 0.0
    if values.size % 2:
        return float(0.0 + ordered[half])
    return float((0.0 + ordered[half - 1] + ordered[half]) / 2.0)


def row_quantile(values: Matrix, q: float) -> Vector:
    """The ``q`` quantile (0..1, nearest rank) of each row ignoring NaN; NaN for an empty row."""
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    ordered = np.sort(values, axis=1)
    n = row_count(values)
    same = _same_count(n)
    if same is not None:
        # every row as long: one rank for all
        if same == 0:
            return np.full(values.shape[0], np.nan)
        column: Vector = ordered[:, min(max(math.ceil(q * same) - 1, 0), values.shape[1] - 1)].copy()
        return column
    rank = np.minimum(np.maximum(np.ceil(q * n).astype(np.int64) - 1, 0), values.shape[1] - 1)
    out: Vector = ordered[np.arange(values.shape[0]), rank]
    out[n == 0] = np.nan
    return out


_LARGEST = float(np.finfo(np.float64).max)


def finite(values: Vector) -> Vector:
    """``np.nan_to_num`` of a float vector (NaN 0, infinities the largest finite numbers), as two ufuncs:
    numpy's own spends most of its time deciding the dtype, on vectors of a hundred metrics."""
    out: Vector = np.where(np.isnan(values), 0.0, values)
    np.minimum(out, _LARGEST, out=out)
    np.maximum(out, -_LARGEST, out=out)
    return out


def row_mad(values: Matrix, centre: Vector) -> Vector:
    """Median absolute deviation of each row around ``centre``."""
    return row_median(np.abs(values - centre[:, None]))


def row_extreme(values: Matrix, *, largest: bool) -> Vector:
    """Max (or min) of each row ignoring NaN; NaN for an empty row, without warnings."""
    fill = -np.inf if largest else np.inf
    filled = np.where(np.isnan(values), fill, values)
    out: Vector = filled.max(axis=1) if largest else filled.min(axis=1)
    out = out.astype(np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


def row_time_correlation(values: Matrix, n: NDArray[np.int64] | None = None) -> Vector:
    """Pearson correlation of each row with its column index (time), ignoring NaN; ``n``, the rows'
    counts of samples when known (``row_count``).

    A ramp inside the window correlates strongly with time; a step or a burst
    does not, which is what separates a trend from a level shift.
    """
    t = np.arange(values.shape[1], dtype=np.float64)
    dense = n is not None and n.size > 0 and int(n.min()) == values.shape[1]
    if dense:
        # no sample missing: the masks below would keep every value as it is, and every row's
        # times are the same, so their deviations and squares are one row's
        assert n is not None
        count = n.astype(np.float64)
        width = float(values.shape[1]) or 1.0
        v_mean = values.sum(axis=1) / width
        times = t - float(t.sum()) / width  # a sum of small integers: exact in any order
        dv = values - v_mean[:, None]
        cov = (times * dv).sum(axis=1)
        var = np.sqrt((times * times).sum() * (dv * dv).sum(axis=1))
        dense_corr: Vector = np.where((var > 0) & (count >= 3), cov / np.where(var > 0, var, 1.0), 0.0)
        return dense_corr
    present = ~np.isnan(values)
    count = present.sum(axis=1).astype(np.float64)
    safe_n = np.where(count > 0, count, 1.0)
    tt = np.broadcast_to(t, values.shape)
    t_mean = np.where(present, tt, 0.0).sum(axis=1) / safe_n
    v = np.where(present, values, 0.0)
    v_mean = v.sum(axis=1) / safe_n
    dt = np.where(present, tt - t_mean[:, None], 0.0)
    dv = np.where(present, v - v_mean[:, None], 0.0)
    cov = (dt * dv).sum(axis=1)
    var = np.sqrt((dt * dt).sum(axis=1) * (dv * dv).sum(axis=1))
    corr: Vector = np.where((var > 0) & (count >= 3), cov / np.where(var > 0, var, 1.0), 0.0)
    return corr


def share_beyond(values: Matrix, bound: Vector, *, above: bool, n: NDArray[np.int64] | None = None) -> Vector:
    """Share of each row's present samples above (or below) a per-row bound; ``n``, the rows' counts
    of samples when known (``row_count``)."""
    if n is None:
        n = row_count(values)
    with np.errstate(invalid="ignore"):
        # a comparison with NaN is false: a missing sample is never beyond the bound
        hit = values > bound[:, None] if above else values < bound[:, None]
    count = hit.sum(axis=1)
    same = _same_count(n)
    if same is not None:
        # every row as long: one divisor for all
        return count / same if same > 0 else np.zeros(values.shape[0])
    share: Vector = np.where(n > 0, count / np.where(n > 0, n, 1), 0.0).astype(np.float64)
    return share
