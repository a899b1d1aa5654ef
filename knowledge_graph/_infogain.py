"""Which check best separates the remaining candidate causes: expected information gain.

Each check has a binary outcome (the symptoms it looks at show, or not). If
cause c is true the check shows with probability q_c, the strongest ``produces``
weight among the symptoms it touches (through ``leads_to`` chains too), clamped
to [FALSE_POSITIVE, 1 − FALSE_POSITIVE] so no single check is treated as
infallible. Over a prior on the candidates (uniform unless given), the gain is
H(C) − E[H(C | outcome)]; a check every candidate predicts alike gains nothing,
however relevant it looks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

FALSE_POSITIVE = 0.05


def _entropy(weights: Sequence[float]) -> float:
    total = sum(weights)
    if total <= 0.0:
        return 0.0
    return -sum((w / total) * math.log2(w / total) for w in weights if w > 0.0)


def expected_gain(likelihood: Mapping[str, float], prior: Mapping[str, float]) -> float:
    """Bits of uncertainty about the candidates a check is expected to remove.

    ``prior`` maps each candidate to a positive weight (normalised here); a
    uniform prior is every candidate at 1.
    """
    total = sum(prior.values())
    if len(prior) < 2 or total <= 0.0:
        return 0.0
    p = {c: w / total for c, w in prior.items()}
    q = {c: min(1.0 - FALSE_POSITIVE, max(FALSE_POSITIVE, likelihood.get(c, 0.0))) for c in p}
    positive = [p[c] * q[c] for c in sorted(p)]
    negative = [p[c] * (1.0 - q[c]) for c in sorted(p)]
    before = _entropy([p[c] for c in sorted(p)])
    after = sum(positive) * _entropy(positive) + sum(negative) * _entropy(negative)
    return max(0.0, before - after)
