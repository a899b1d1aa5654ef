"""Finding the anomaly window when an incident does not say where it is.

Real incidents rarely come with a labelled window, so sleuth finds it itself:
the window is the contiguous segment whose metrics differ most, jointly, from
the rest of the recording. Every metric is robust-standardised (median/MAD of
the whole series, clipped so one wild metric cannot decide alone), and the
segment maximising the between-segment sum of squares
``sum_m n_in * n_out / n * (mean_in - mean_out)**2`` wins — the statistic of
a two-change-point mean-shift model, evaluated for every segment at once from
cumulative sums. A segment touching one end of the recording and its
complement score the same; the one where latency is worse (else the shorter)
is the anomaly, because an incident is the part that hurt.

Also here: the collector warm-up at the start of a recording (DBSherlock's
first seconds are mostly zeros), which must not count as "normal".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rules import stats
from rules.stats import Matrix, Vector

# Standardised values are clipped so a metric with a near-zero MAD cannot dominate.
Z_CLIP = 6.0
MIN_SEGMENT = 5
# Metrics that just grow through the recording (running totals) carry no window information.
MONOTONE_CORRELATION = 0.95
# Warm-up rows: leading rows where many more metrics read zero than usual.
WARMUP_EXTRA_ZERO_SHARE = 0.2
WARMUP_MAX_SHARE = 0.25
LATENCY_IDS = ("latency", "query_latency", "commit_latency")


def warmup_length(values: Matrix) -> int:
    """How many leading samples are collector warm-up (far more zeros than usual)."""
    if values.size == 0 or values.shape[1] < 8:
        return 0
    present = ~np.isnan(values)
    zeros = ((values == 0) & present).sum(axis=0) / np.maximum(present.sum(axis=0), 1)
    typical = float(np.median(zeros))
    cap = int(values.shape[1] * WARMUP_MAX_SHARE)
    n = 0
    while n < cap and zeros[n] > typical + WARMUP_EXTRA_ZERO_SHARE:
        n += 1
    return n


def standardise(values: Matrix) -> Matrix:
    """Robust z of every sample against its own series, NaN as 0, clipped; useless rows zeroed."""
    centre = stats.row_median(values)
    spread = stats.MAD_TO_SIGMA * np.nan_to_num(stats.row_mad(values, centre))
    scale = np.nan_to_num(np.abs(stats.row_extreme(values, largest=True)))
    sigma = np.maximum(spread, 0.05 * scale + 1e-9)
    z = np.clip(np.nan_to_num((values - centre[:, None]) / sigma[:, None]), -Z_CLIP, Z_CLIP)
    monotone = np.abs(stats.row_time_correlation(values)) >= MONOTONE_CORRELATION
    z[monotone] = 0.0
    return z


def segment_gain(z: Matrix, min_len: int = MIN_SEGMENT) -> Matrix:
    """Gain of every segment [a, b] (inclusive) as a (T x T) matrix; -inf where not allowed."""
    _, t = z.shape
    csum = np.concatenate([np.zeros((z.shape[0], 1)), np.cumsum(z, axis=1)], axis=1)
    total = csum[:, -1]
    a = np.arange(t)[:, None]
    b = np.arange(t)[None, :]
    length = (b - a + 1).astype(np.float64)
    rest = t - length
    allowed = (length >= min_len) & (rest >= min_len)
    safe_len = np.where(allowed, length, 1.0)
    safe_rest = np.where(allowed, rest, 1.0)
    # sum over metrics of n_in*n_out/n*(mean_in-mean_out)^2, from cumulative sums
    s_in = csum[:, None, 1:] - csum[:, :-1, None]  # (m, a, b): sum of z[a..b]
    diff = s_in / safe_len - (total[:, None, None] - s_in) / safe_rest
    gain = (diff * diff).sum(axis=0) * (safe_len * safe_rest / t)
    out: Matrix = np.where(allowed, gain, -np.inf)
    return out


def infer_window(values: Matrix, ids: Sequence[str]) -> tuple[int, int]:
    """Column indices (inclusive) of the most anomalous contiguous segment."""
    t = values.shape[1]
    if t < 2 * MIN_SEGMENT:
        return (0, t - 1)
    z = standardise(values)
    gain = segment_gain(z)
    a, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
    start, end = int(a), int(b)
    if start == 0 or end == t - 1:
        start, end = _pick_side(values, ids, start, end)
    return (start, end)


def _pick_side(values: Matrix, ids: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """A segment at one end ties with its complement; keep the one where latency is worse."""
    t = values.shape[1]
    other = (end + 1, t - 1) if start == 0 else (0, start - 1)
    latency = next((values[ids.index(k)] for k in LATENCY_IDS if k in ids), None)
    if latency is not None:
        here = _median(latency[start : end + 1])
        there = _median(latency[other[0] : other[1] + 1])
        if np.isfinite(here) and np.isfinite(there) and here != there:
            return (start, end) if here > there else other
    return (start, end) if end - start <= other[1] - other[0] else other


def _median(v: Vector) -> float:
    return float(stats.row_median(v[None, :])[0])
