"""From the rules' certainty factor to the chance that the cause is right.

MYCIN certainty factors rank well but read low: a rule's factor is the
author's belief in one piece of evidence, and several pieces combine, so a
cause the rules conclude at 0.6 was right far more often than six times in
ten. A DBA reads the certainty as a probability, and triage compares it with
a threshold, so the reported certainty is recalibrated by Platt scaling —
a logistic map of the factor's log-odds, ``sigmoid(A * logit(cf) + B)`` —
monotone, so the order of the causes never changes.

``A`` and ``B`` were fitted by ``fit`` on every reported cause of the 70
labelled DBSherlock dev cases and 240 synthetic compounds of them (seeds 0-2,
``sleuth evalsets``), right when the cause is a true one; two numbers for all
causes, nothing per case (fitted on two seeds and the other's cases, the
third's ECE was 0.013-0.043). Refit them when the rules change (``fit`` on
the ``(certainty, right)`` pairs of ``sleuth eval`` runs, after
``uncalibrated``). The map applies to the shipped packs (``rules/packs``),
whose rules share one convention for their factors (0.9 for evidence only the
cause produces, 0.7-0.8 for a second angle on it), so a cause of one pack and
a cause of another read on one scale in the same diagnosis; the measurement
behind it is the MySQL pack's, the only one the labelled data exercises. A
pack of one's own keeps its authors' factors as they are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

A = 1.28
B = 1.98
# Factors this close to 0 or 1 are held there, so the log-odds stay finite.
EDGE = 1e-4


def calibrated(certainty: float, shipped: bool = True) -> float:
    """The probability a cause the shipped rules concluded with ``certainty`` is right.

    Unchanged when a rule of a pack of one's own concluded it (``shipped`` False).
    """
    return mapped(certainty, A, B) if shipped else certainty


def mapped(certainty: float, a: float, b: float) -> float:
    """Platt's map with coefficients ``a`` and ``b``: ``sigmoid(a * logit(certainty) + b)``."""
    return _sigmoid(a * _logit(certainty) + b)


def uncalibrated(probability: float) -> float:
    """The rules' factor behind a calibrated certainty (the inverse of ``calibrated``)."""
    return _sigmoid((_logit(probability) - B) / A)


def fit(pairs: Iterable[tuple[float, bool]], steps: int = 50) -> tuple[float, float]:
    """``(A, B)`` maximising the likelihood of ``right`` given ``certainty`` (Newton's method)."""
    data = [(c, r) for c, r in pairs]
    if not data:
        return (1.0, 0.0)
    x = np.array([_logit(c) for c, _ in data])
    y = np.array([1.0 if r else 0.0 for _, r in data])
    design = np.column_stack([x, np.ones_like(x)])
    w = np.array([1.0, 0.0])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        gradient = design.T @ (y - p)
        hessian = design.T @ (design * (p * (1.0 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w = w + step
        if float(np.abs(step).max()) < 1e-10:
            break
    return (float(w[0]), float(w[1]))


def _logit(p: float) -> float:
    q = min(1.0 - EDGE, max(EDGE, p))
    return math.log(q / (1.0 - q))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
