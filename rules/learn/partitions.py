"""DBSherlock's predicate for one metric of one incident (Yoon, Niu, Mozafari, SIGMOD 2016, section 4).

The metric's range is cut into equal partitions; a partition holding only
normal rows is normal, only abnormal rows abnormal, neither (or both) empty.
Isolated labels are noise: two adjacent labelled partitions that disagree are
both emptied (never the last of their label). Empty partitions then take the
label of their nearer labelled neighbour, an abnormal neighbour counting as
``ABNORMAL_DISTANCE`` times farther, so the abnormal region does not swallow
the gap. A metric yields a predicate only when the abnormal partitions form
one block: ``value > lower``, ``value < upper``, or a band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rules.stats import Vector

PARTITIONS = 100
ABNORMAL_DISTANCE = 10.0
# Normal and abnormal partitions must sit apart: their mean positions on the unit range differ by more.
MIN_NORMALISED_DIFFERENCE = 0.2

EMPTY, NORMAL, ABNORMAL = 0, 1, 2


@dataclass(frozen=True)
class Predicate:
    """``lower < value < upper`` (either bound may be open) over one metric's standardised rows.

    ``separation`` is DBSherlock's separating power: the share of abnormal rows
    that satisfy it minus the share of normal rows that do.
    """

    metric: str
    lower: float | None
    upper: float | None
    separation: float

    def holds(self, values: Vector) -> NDArray[np.bool_]:
        ok = np.ones(values.shape, dtype=bool)
        if self.lower is not None:
            ok &= values > self.lower
        if self.upper is not None:
            ok &= values < self.upper
        return ok


def extract_predicate(
    metric: str, values: Vector, abnormal: NDArray[np.bool_], partitions: int = PARTITIONS
) -> Predicate | None:
    """The metric's predicate, or ``None`` when its abnormal rows are not one separable block."""
    present = ~np.isnan(values)
    v, a = values[present], abnormal[present]
    if v.size == 0 or not a.any() or a.all():
        return None
    low, high = float(v.min()), float(v.max())
    if high <= low:
        return None
    edges = np.linspace(low, high, partitions + 1)
    cell = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, partitions - 1)
    labels = _label(cell, a, partitions)
    if not _apart(labels):
        return None
    filled = _fill(_filter(labels))
    block = _single_block(filled == ABNORMAL)
    if block is None:
        return None
    first, last = block
    lower = float(edges[first]) if first > 0 else None
    upper = float(edges[last + 1]) if last < partitions - 1 else None
    if lower is None and upper is None:
        return None
    predicate = Predicate(metric, lower, upper, 0.0)
    ok = predicate.holds(v)
    separation = float(ok[a].mean() - ok[~a].mean())
    return Predicate(metric, lower, upper, round(separation, 4))


def _label(cell: NDArray[np.int64], abnormal: NDArray[np.bool_], partitions: int) -> NDArray[np.int64]:
    normal_count = np.bincount(cell[~abnormal], minlength=partitions)
    abnormal_count = np.bincount(cell[abnormal], minlength=partitions)
    labels = np.full(partitions, EMPTY, dtype=np.int64)
    labels[(normal_count > 0) & (abnormal_count == 0)] = NORMAL
    labels[(abnormal_count > 0) & (normal_count == 0)] = ABNORMAL
    return labels


def _apart(labels: NDArray[np.int64]) -> bool:
    """Whether normal and abnormal partitions lie apart enough on the range to be worth a predicate."""
    position = np.arange(labels.size) / labels.size
    normal, abnormal = position[labels == NORMAL], position[labels == ABNORMAL]
    if normal.size == 0 or abnormal.size == 0:
        return False
    return abs(float(normal.mean()) - float(abnormal.mean())) > MIN_NORMALISED_DIFFERENCE


def _filter(labels: NDArray[np.int64]) -> NDArray[np.int64]:
    labelled = np.flatnonzero(labels != EMPTY)
    disagree = labels[labelled[:-1]] != labels[labelled[1:]]
    noisy = np.union1d(labelled[:-1][disagree], labelled[1:][disagree])
    out = labels.copy()
    remaining = {NORMAL: int((labels == NORMAL).sum()), ABNORMAL: int((labels == ABNORMAL).sum())}
    for i in noisy:
        if remaining[int(labels[i])] > 1:
            out[i] = EMPTY
    return out


def _fill(labels: NDArray[np.int64]) -> NDArray[np.int64]:
    labelled = np.flatnonzero(labels != EMPTY)
    out = labels.copy()
    if labelled.size == 0:
        return out
    for i in map(int, np.flatnonzero(labels == EMPTY)):
        k = int(np.searchsorted(labelled, i))
        left = int(labelled[k - 1]) if k > 0 else None
        right = int(labelled[k]) if k < labelled.size else None
        left_label = int(labels[left]) if left is not None else None
        right_label = int(labels[right]) if right is not None else None
        if left_label is not None and left_label == right_label:
            out[i] = left_label
            continue
        d_left = _distance(i, left, left_label)
        d_right = _distance(i, right, right_label)
        if d_left < d_right and left_label is not None:
            out[i] = left_label
        elif d_right < d_left and right_label is not None:
            out[i] = right_label
    return out


def _distance(i: int, j: int | None, label: int | None) -> float:
    if j is None:
        return float("inf")
    return abs(i - j) * (ABNORMAL_DISTANCE if label == ABNORMAL else 1.0)


def _single_block(mask: NDArray[np.bool_]) -> tuple[int, int] | None:
    starts = np.flatnonzero(mask & ~np.r_[False, mask[:-1]])
    ends = np.flatnonzero(mask & ~np.r_[mask[1:], False])
    if starts.size != 1:
        return None
    return int(starts[0]), int(ends[0])
