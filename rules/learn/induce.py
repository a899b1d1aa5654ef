"""From mined predicates to rules: DBSherlock's merged causal model, then sequential covering.

Per cause, a metric's predicates from the cause's incidents merge when they
point the same way in at least ``min_support`` of them, into the loosest bound
any of them had (DBSherlock's union), relaxed by ``margin`` toward normal but
never inside ``floor`` robust sigmas of it: the next incident of a cause is
rarely exactly as strong as the ones seen, and a bound at the edge of the
training windows would miss a milder one. The merged predicates with the most
separating power become the candidate conditions.

Rules are then grown one condition at a time (sequential covering): each added
condition is the one that makes the rule most precise on the training
incidents, and a rule stops growing when it fires on no other cause's
incident. Incidents a rule covers are set aside and the next rule covers the
rest. A rule's certainty is its Laplace-smoothed precision on the training
incidents, (hits + 1) / (firings + 2), so a rule seen on few incidents is not
trusted like one seen on many. One weaker rule per cause stands on its single
best condition, at half its precision, so an incident that misses one
condition of a conjunction still has the cause considered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Literal

from models import Condition, NumTest
from rules.certainty import fact_strength
from rules.conditions import matches
from rules.learn.mine import MinedIncident
from rules.learn.partitions import Predicate

Direction = Literal["up", "down"]
Unit = tuple[int, int]
"""(incident, window): where a condition is tested. A rule fires on an incident when all its
conditions hold in one of the incident's windows."""


@dataclass(frozen=True)
class LearnSettings:
    min_support: float = 0.5
    margin: float = 0.5
    floor: float = 1.0
    candidates: int = 12
    max_conditions: int = 3
    max_rules: int = 3
    fallback_weight: float = 0.5


DEFAULTS = LearnSettings()


@dataclass(frozen=True)
class Candidate:
    """A merged predicate of one cause: the window's score beyond ``bound``, in ``direction``."""

    metric: str
    direction: Direction
    bound: float
    separation: float
    support: int
    condition: Condition
    fires: frozenset[Unit]
    strength: float


@dataclass(frozen=True)
class LearnedRule:
    """A conjunction of candidates, where it fired on the training incidents, and its certainty."""

    cause: str
    conditions: tuple[Candidate, ...]
    fires: frozenset[int]
    hits: int
    certainty: float
    fallback: bool = False

    @property
    def false_alarms(self) -> int:
        return len(self.fires) - self.hits


def induce(
    mined: Sequence[MinedIncident], causes: Sequence[str], settings: LearnSettings = DEFAULTS
) -> list[LearnedRule]:
    """Rules for each of ``causes`` from the mined incidents, in the order of ``causes``."""
    rules: list[LearnedRule] = []
    for cause in causes:
        positives = frozenset(i for i, m in enumerate(mined) if cause in m.example.causes)
        if not positives:
            continue
        candidates = merge(mined, positives, settings)
        rules.extend(_cover(cause, candidates, positives, settings))
    return rules


def merge(
    mined: Sequence[MinedIncident], positives: frozenset[int], settings: LearnSettings
) -> list[Candidate]:
    """The cause's candidate conditions, most separating first (ties by metric, so output is stable)."""
    grouped: dict[tuple[str, Direction], list[tuple[float, float]]] = {}
    for i in sorted(positives):
        for predicate in mined[i].predicates.values():
            side = _side(predicate)
            if side is not None:
                grouped.setdefault((predicate.metric, side[0]), []).append((side[1], predicate.separation))
    needed = max(1, math.ceil(settings.min_support * len(positives)))
    out: list[Candidate] = []
    for (metric, direction), seen in grouped.items():
        if len(seen) < needed:
            continue
        if direction == "up":
            bound = max(min(b for b, _ in seen) * settings.margin, settings.floor)
            test = NumTest(gte=_round(bound))
        else:
            bound = min(max(b for b, _ in seen) * settings.margin, -settings.floor)
            test = NumTest(lte=_round(bound))
        condition = Condition(signal=metric, score=test)
        fires = frozenset(
            (i, w)
            for i, m in enumerate(mined)
            for w, facts in enumerate(m.windows)
            if metric in facts and matches(condition, facts[metric])
        )
        separation = sum(s for _, s in seen) / len(positives)
        strength = _strength(mined, positives, metric, fires)
        out.append(
            Candidate(
                metric, direction, _round(bound), round(separation, 4), len(seen), condition, fires, strength
            )
        )
    out.sort(key=lambda c: (-c.separation, c.metric, c.direction))
    return out[: settings.candidates]


def laplace(hits: int, fires: int) -> float:
    return (hits + 1) / (fires + 2)


def incidents(units: frozenset[Unit]) -> frozenset[int]:
    return frozenset(i for i, _ in units)


def _precision(units: frozenset[Unit], positives: frozenset[int]) -> float:
    fired = incidents(units)
    return laplace(len(fired & positives), len(fired))


def _worth(units: frozenset[Unit], body: Sequence[Candidate], positives: frozenset[int]) -> float:
    """What the rule would conclude on its incidents: precision times its weakest condition's
    strength, as the engine takes the premise of a conjunction to be its weakest fact."""
    return _precision(units, positives) * min((c.strength for c in body), default=1.0)


def _strength(
    mined: Sequence[MinedIncident], positives: frozenset[int], metric: str, fires: frozenset[Unit]
) -> float:
    """How much the engine will trust this condition on the cause's incidents: the median, over
    the positives it fires on, of the matched fact's strength (its confidence that the move is real)."""
    best: dict[int, float] = {}
    for i, w in fires:
        if i in positives:
            best[i] = max(best.get(i, 0.0), fact_strength(mined[i].windows[w][metric]))
    return round(float(median(best.values())), 4) if best else 0.0


def _side(predicate: Predicate) -> tuple[Direction, float] | None:
    """Which way the window moved, and the bound nearer normal; a band across normal says neither."""
    lower, upper = predicate.lower, predicate.upper
    if lower is not None and lower >= 0:
        return "up", lower
    if upper is not None and upper <= 0:
        return "down", upper
    return None


def _cover(
    cause: str,
    candidates: list[Candidate],
    positives: frozenset[int],
    settings: LearnSettings,
) -> list[LearnedRule]:
    everyone = frozenset(unit for c in candidates for unit in c.fires)
    uncovered = set(positives)
    rules: list[LearnedRule] = []
    while uncovered and len(rules) < settings.max_rules:
        body: list[Candidate] = []
        units = everyone
        while len(body) < settings.max_conditions:
            step = _best_step(candidates, body, units, positives, uncovered)
            if step is None:
                break
            candidate, narrowed = step
            if body and _worth(narrowed, [*body, candidate], positives) <= _worth(units, body, positives):
                break
            body.append(candidate)
            units = narrowed
            if incidents(units) <= positives:
                break
        if not body:
            break
        fires = incidents(units)
        hits = len(fires & positives)
        rules.append(LearnedRule(cause, tuple(body), fires, hits, _certainty(laplace(hits, len(fires)))))
        uncovered -= fires
    fallback = _fallback(cause, candidates, positives, rules, settings)
    return rules + ([fallback] if fallback is not None else [])


def _best_step(
    candidates: list[Candidate],
    body: list[Candidate],
    units: frozenset[Unit],
    positives: frozenset[int],
    uncovered: set[int],
) -> tuple[Candidate, frozenset[Unit]] | None:
    used = {c.metric for c in body}
    best: tuple[tuple[float, int, float], Candidate, frozenset[Unit]] | None = None
    for candidate in candidates:
        if candidate.metric in used:
            continue
        narrowed = units & candidate.fires
        new = len(incidents(narrowed) & uncovered)
        if new == 0:
            continue
        key = (_worth(narrowed, [*body, candidate], positives), new, candidate.separation)
        if best is None or key > best[0]:
            best = (key, candidate, narrowed)
    return None if best is None else (best[1], best[2])


def _fallback(
    cause: str,
    candidates: list[Candidate],
    positives: frozenset[int],
    rules: list[LearnedRule],
    settings: LearnSettings,
) -> LearnedRule | None:
    taken = {tuple((c.metric, c.direction) for c in r.conditions) for r in rules}
    ranked = sorted(
        (c for c in candidates if incidents(c.fires) & positives and ((c.metric, c.direction),) not in taken),
        key=lambda c: (-_precision(c.fires, positives) * c.strength * c.separation, c.metric),
    )
    if not ranked:
        return None
    best = ranked[0]
    fires = incidents(best.fires)
    hits = len(fires & positives)
    weight = laplace(hits, len(fires)) * settings.fallback_weight
    return LearnedRule(cause, (best,), fires, hits, _certainty(weight), fallback=True)


def _certainty(value: float) -> float:
    return max(0.01, round(value, 2))


def _round(value: float) -> float:
    """Three significant digits: a person reads the bound, and it stays within what lint accepts."""
    if value == 0:
        return 0.0
    return float(f"{value:.3g}")
