"""Is anything abnormal at all? The strongest segment against the capture's own noise.

Most captures hold no incident, and a diagnoser that always finds a window
will always find a cause in it. So the strongest segment's gain
(``rules.segmentation``) is tested against what the same capture gives when
it holds no segment: its residuals (each metric minus its level inside and
outside the segment) resampled in blocks of consecutive samples (a moving-block
bootstrap), which keeps the short-range dependence of real metrics (a rate
that is high one second is high the next) and their heavy tails, and drops
only the shift under test. The capture is healthy when the strongest gain is
not above the ``1 - LEVEL`` quantile of those draws. The draws are seeded: the
same capture always gets the same answer. Measured: every one of the 70 DBSherlock recordings and the 23 lab
captures of the live anomalies lies beyond every draw.

Only segments with a normal lead-in of at least ``min_len`` samples count,
in the capture and in every draw: a capture is pulled from before the
trouble, and a few odd samples at its very start (a collector settling, a
partial first interval) are no reference to depart from.

The statistic works on a grid of at most ``TEST_POINTS`` block means and on
the samples' kernel (``z.T @ z``), so each draw costs the square of the grid,
whatever the number of metrics or samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rules.segmentation import block_means, block_size
from rules.stats import Matrix

TEST_POINTS = 64
RESAMPLES = 199
LEVEL = 0.01
SEED = 20160626
# A segment starting this close to the first sample starts the capture: the anomaly is then what
# follows it (its complement), because captures begin before the trouble.
LEAD_SLACK = 2
# The normal part is at least this share of the capture: a few samples at its edges are more
# likely a transient (a collector settling, an earlier incident's tail) than a reference.
REST_SHARE = 1 / 3
# Draws computed at once: bounds the (draws x grid x grid) temporaries.
DRAW_CHUNK = 32


@dataclass(frozen=True)
class NullTest:
    """The strongest segment's gain against its bootstrap null."""

    statistic: float
    threshold: float
    p_value: float
    resamples: int
    block: int
    points: int

    @property
    def significant(self) -> bool:
        return self.p_value <= LEVEL

    def significant_among(self, tests: int) -> bool:
        """Significant as one of ``tests`` asked of the same capture (Bonferroni: each at LEVEL / tests)."""
        return self.p_value <= LEVEL / tests


def allowed(n: int, min_len: int) -> Matrix:
    """Which segments [a, b] (inclusive) may be the anomaly: long enough, after a normal lead-in.

    A segment may run to the end of the capture; one that stops short of it
    leaves at least ``min_len`` normal samples after it, so that a sample or
    two left over at the end do not pose as the reference.
    """
    a = np.arange(n)[:, None]
    b = np.arange(n)[None, :]
    length = b - a + 1
    rest = n - length
    right = n - 1 - b
    tail_or_room = (right == 0) | (right >= min_len)
    mask: Matrix = (
        (length >= min_len) & (a > LEAD_SLACK) & tail_or_room & (rest >= min_len) & (REST_SHARE * n <= rest)
    )
    return mask


def coarse(z: Matrix, points: int = TEST_POINTS) -> tuple[Matrix, int]:
    """``z`` averaged over blocks of columns so that it has at most ``points``; and the block size."""
    block = block_size(z.shape[1], points)
    return block_means(z, block), block


def gains(kernels: np.ndarray, mask: Matrix) -> np.ndarray:
    """Gain of every segment for a stack of kernels (draws x T x T); -inf where ``mask`` is False."""
    t = kernels.shape[1]
    sq = _gains_at(kernels, np.arange(t)[:, None], np.arange(1, t + 1)[None, :])
    out: np.ndarray = np.where(mask[None], sq, -np.inf)
    return out


def strongest_gains(kernels: np.ndarray, mask: Matrix) -> np.ndarray:
    """Per kernel of a stack (draws x T x T), the largest gain of an allowed segment: the maximum of
    ``gains`` over ``mask``, its arithmetic entry for entry, computed for the allowed segments only
    (a bootstrap draw needs no more, and fewer than half of all segments are allowed)."""
    start, last = np.nonzero(mask)
    out: np.ndarray = _gains_at(kernels, start, last + 1).max(axis=1)
    return out


def _gains_at(kernels: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Per kernel, the gain of the segments ``[start, stop)`` (index arrays that broadcast together).

    The between-segment sum of squares ``n_in * n_out / n * |mean_in - mean_out|**2``
    expands into 2-D prefix sums of the kernel, so one pass serves every segment.
    """
    draws, t, _ = kernels.shape
    gram = np.zeros((draws, t + 1, t + 1))
    gram[:, 1:, 1:] = kernels.cumsum(axis=1).cumsum(axis=2)
    length = np.maximum(stop - start, 1).astype(np.float64)
    rest = np.maximum(t - length, 1.0)
    diag = gram[:, np.arange(t + 1), np.arange(t + 1)]
    in_sq = diag[:, stop] - 2.0 * gram[:, start, stop] + diag[:, start]
    cross = gram[:, :, -1]
    in_total = cross[:, stop] - cross[:, start]
    total_sq = gram[:, -1, -1].reshape((draws,) + (1,) * length.ndim)
    k = 1.0 / length + 1.0 / rest
    sq = k * k * in_sq - 2.0 * k / rest * in_total + total_sq / (rest * rest)
    out: np.ndarray = sq * (length * rest / t)
    return out


def best(z: Matrix, mask: Matrix) -> tuple[int, int, float] | None:
    """The highest-gain allowed segment of ``z``; ``None`` when no segment is allowed."""
    if not mask.any():
        return None
    g = gains((z.T @ z)[None], mask)[0]
    index = int(np.argmax(g))
    a, b = divmod(index, g.shape[1])
    return a, b, float(g[a, b])


def bootstrap_test(z: Matrix, min_len: int, resamples: int = RESAMPLES, seed: int = SEED) -> NullTest | None:
    """The strongest allowed segment of ``z`` (on the test grid) against its residual block bootstrap."""
    n = z.shape[1]
    mask = allowed(n, min_len)
    found = best(z, mask)
    if found is None:
        return None
    a, b, observed = found
    residual = z.copy()
    inside = np.zeros(n, dtype=bool)
    inside[a : b + 1] = True
    residual[:, inside] -= residual[:, inside].mean(axis=1, keepdims=True)
    residual[:, ~inside] -= residual[:, ~inside].mean(axis=1, keepdims=True)
    kernel = residual.T @ residual
    block = max(1, round(n ** (1.0 / 3.0)))
    rng = np.random.default_rng(seed)
    null = np.empty(resamples)
    offsets = np.arange(block)
    for lo in range(0, resamples, DRAW_CHUNK):
        draws = min(DRAW_CHUNK, resamples - lo)
        starts = rng.integers(0, n - block + 1, size=(draws, -(-n // block)))
        order = (starts[:, :, None] + offsets).reshape(draws, -1)[:, :n]
        shuffled = kernel[order[:, :, None], order[:, None, :]]
        null[lo : lo + draws] = strongest_gains(shuffled, mask)
    exceed = int(np.count_nonzero(null >= observed))
    return NullTest(
        statistic=observed,
        threshold=float(np.quantile(null, 1.0 - LEVEL)) if resamples else 0.0,
        p_value=(1 + exceed) / (1 + resamples),
        resamples=resamples,
        block=block,
        points=n,
    )
