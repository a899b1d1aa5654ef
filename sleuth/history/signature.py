"""An incident's signature: which metrics moved, which way and how far, as one sparse vector.

Two incidents with the same cause move the same metrics the same way, by
amounts that vary with the server and the strength of the fault; the log of
the robust z-score keeps the direction and the order of magnitude and damps
the rest, so cosine similarity compares shapes of incidents rather than sizes.
Metrics that stayed within one robust sigma of normal are left out: their
noise would only dilute the comparison.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from models import Fact

MIN_SCORE = 1.0

Signature = dict[str, float]


def signature(signals: Iterable[Fact]) -> Signature:
    """metric -> signed log(1 + |robust z|) for every signal fact that moved at least one sigma."""
    out: Signature = {}
    for fact in signals:
        if fact.kind != "signal":
            continue
        score = fact.attrs.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float) or abs(score) < MIN_SCORE:
            continue
        out[fact.name] = round(math.copysign(math.log1p(abs(float(score))), float(score)), 4)
    return dict(sorted(out.items()))


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of two signatures (0 when either is empty)."""
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0
