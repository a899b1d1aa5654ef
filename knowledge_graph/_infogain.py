"""Which check best separates the remaining candidate causes: expected information gain.

Each check has a binary outcome (the symptoms it looks at show, or not). If
cause c is true the check shows with probability q_c, the strongest ``produces``
weight among the symptoms it touches (through ``leads_to`` chains too), clamped
to [FALSE_POSITIVE, 1 − FALSE_POSITIVE] so no single check is treated as
infallible. Over a prior on the candidates (uniform unless given), the gain is
H(C) − E[H(C | outcome)]; a check every candidate predicts alike gains nothing,
however relevant it looks. All checks are scored at once over a dense
check × cause likelihood matrix built with the index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

FALSE_POSITIVE = 0.05


def normalise(prior: Mapping[str, float]) -> tuple[list[str], Any]:
    """Candidates in a fixed order with probabilities summing to 1 (empty if none is positive)."""
    names = sorted(c for c, w in prior.items() if w > 0.0)
    weights = np.array([prior[c] for c in names], dtype=float)
    return names, weights / weights.sum() if names else weights


def _entropy(rows: Any) -> Any:
    """Entropy in bits of each row's distribution (rows need not be normalised; entries > 0)."""
    p = rows / rows.sum(axis=-1, keepdims=True)
    return -(p * np.log2(p)).sum(axis=-1)


def gains(likelihood: Any, columns: Sequence[int], probs: Any) -> tuple[Any, Any]:
    """Expected information gain of every check (row of ``likelihood``) and its best confirmation.

    ``columns`` select the candidates' columns, in the order of ``probs``.
    """
    raw = likelihood[:, list(columns)]
    confirm = raw.max(axis=1) if len(columns) else np.zeros(len(likelihood))
    if len(columns) < 2:
        return np.zeros(len(likelihood)), confirm
    q = np.clip(raw, FALSE_POSITIVE, 1.0 - FALSE_POSITIVE)
    positive = q * probs
    negative = (1.0 - q) * probs
    after = positive.sum(axis=1) * _entropy(positive) + negative.sum(axis=1) * _entropy(negative)
    return np.maximum(0.0, _entropy(probs) - after), confirm
