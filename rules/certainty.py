"""MYCIN certainty factors: how a rule's certainty, its premises and several firings combine.

Kept apart from the engine so the invariants (stays in [0, 1], order of
evidence does not matter) can be property-tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

from models import Condition, Fact


def clamp(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


def fact_strength(fact: Fact) -> float:
    """How far a matched fact can be trusted: its certainty, times its ``confidence`` attribute if any."""
    confidence = fact.attrs.get("confidence")
    factor = 1.0
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        factor = clamp(float(confidence))
    return clamp(fact.certainty * factor)


def asserts_no_change(condition: Condition) -> bool:
    """A condition that requires a metric *not* to have moved (direction none, or only flat shapes)."""
    return condition.direction == "none" or (condition.shape is not None and set(condition.shape) <= {"flat"})


def condition_strength(fact: Fact, condition: Condition) -> float:
    """A matched fact's strength as evidence *for this condition*.

    ``confidence`` is how sure a signal's change is real; a condition that asks
    for no change is supported by the complement, otherwise a steady metric
    (confidence 0) would veto every rule that relies on it staying steady.
    """
    return strength_as(fact, asserts_no_change(condition))


def strength_as(fact: Fact, steady: bool) -> float:
    """``condition_strength`` for a condition that asks for no change (``steady``) or for one that does
    not, for callers that worked out which once per condition."""
    if not steady:
        return fact_strength(fact)
    confidence = fact.attrs.get("confidence")
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        return clamp(fact.certainty * (1.0 - clamp(float(confidence))))
    return clamp(fact.certainty)


def premise(all_strengths: Iterable[float], any_strengths: Iterable[float] = ()) -> float:
    """Conjunction is the weakest link (min); an ``any`` group contributes its strongest member (max)."""
    parts = [clamp(s) for s in all_strengths]
    alternatives = [clamp(s) for s in any_strengths]
    if alternatives:
        parts.append(max(alternatives))
    return min(parts) if parts else 0.0


def conclude(premise_cf: float, rule_cf: float) -> float:
    return clamp(premise_cf) * clamp(rule_cf)


def combine(first: float, second: float) -> float:
    """Two independent pieces of positive evidence for one conclusion: CF1 + CF2·(1 − CF1)."""
    a, b = clamp(first), clamp(second)
    return clamp(a + b * (1.0 - a))


def combine_all(values: Iterable[float]) -> float:
    return reduce(combine, values, 0.0)
