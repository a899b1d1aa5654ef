"""Ranking causes: the rules' certainty, weighed by how well each cause explains what moved.

score = certainty × (½ + ½·coverage) × (1 − ½·missing), where coverage is the
edge-weighted share of the observed symptoms the cause explains (directly, or
more weakly through the causes it leads to), and missing is the edge-weighted
share of its own expected symptoms that were measurable (some metric observing
them was in the incident) yet did not show. A symptom that could not be measured
is no evidence against a cause, and a consequence's symptom is not expected of
the cause. Compound incidents are judged on direct explanations only: a cause
is primary when it directly explains a symptom no other ranked cause does. Sums run in sorted order
so the result does not depend on the order facts arrive in.

Explaining away: a symptom that a surer cause (certainty at least ``SURE``,
and above this cause's) directly produces counts ``EXPLAINED_WEIGHT`` of its
weight in this cause's coverage: it is already accounted for, so sharing it
says less for this cause. Only coverage is discounted, never certainty, and
no cause is dropped: a cause with strong evidence of its own keeps it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from knowledge_graph._index import GraphIndex
from knowledge_graph._spec import FactTest
from knowledge_graph._types import RankedCause
from models.facts import Fact
from models.rulespec import NumTest

SHOWS_AT = 0.5  # a signal's confidence (or a fact's certainty) from which it counts as evidence
SURE = 0.9  # MYCIN's "definitely": a cause this certain accounts for the symptoms it produces
EXPLAINED_WEIGHT = 0.5
_NO_CONFIDENCE = object()  # a signal's own certainty stands in (read only then: most have a confidence)


@dataclass(frozen=True)
class Evidence:
    """What the facts show, and what they could have shown (for the missing-symptom penalty)."""

    observed: frozenset[str]
    measurable: frozenset[str]


def matches(test: FactTest, fact: Fact) -> bool:
    """Every attribute test holds; a missing attribute fails its test."""
    for key, want in test.where.items():
        have = fact.attrs.get(key)
        if isinstance(want, NumTest):
            if not isinstance(have, int | float) or isinstance(have, bool) or not want.holds(float(have)):
                return False
        elif have != want or type(have) is not type(want):
            return False
    return True


def evidence(idx: GraphIndex, facts: Iterable[Fact], canonical: Mapping[str, str | None]) -> Evidence:
    """Symptoms shown, and symptoms the facts could have shown.

    ``canonical`` maps a signal's name to its metric id. A symptom is
    measurable when a metric observing it was measured or a fact that could
    show it was reported (a lock snapshot with no blocker is evidence against
    a blocker).
    """
    observed: set[str] = set()
    measurable: set[str] = set()
    shown = _shown(idx)
    for fact in facts:
        if fact.kind != "signal":
            sure = fact.certainty >= SHOWS_AT
            if fact.name in idx.symptoms and sure:
                observed.add(fact.name)
            for symptom, test in idx.fact_tests.get(fact.name, []):
                measurable.add(symptom)
                if sure and matches(test, fact):
                    observed.add(symptom)
            continue
        metric = canonical.get(fact.name)
        if metric is None:
            continue
        found = shown.get(metric)
        if found is None:
            continue  # a metric that observes no symptom: nothing to measure or show
        every, by_direction = found
        measurable |= every
        attrs = fact.attrs
        value = attrs.get("confidence", _NO_CONFIDENCE)
        if value is _NO_CONFIDENCE:
            value = fact.certainty
        if isinstance(value, bool) or not isinstance(value, int | float) or value < SHOWS_AT:
            continue
        direction = attrs.get("direction")
        if isinstance(direction, str) and direction in by_direction:
            observed |= by_direction[direction]
    return Evidence(frozenset(observed), frozenset(measurable | observed))


# Per graph index (held to tell a new index from one reusing a freed one's id), what each metric can
# show: every symptom it observes, and those it observes moving each way. The graph does not
# change while it ranks, and every diagnosis asks this of ~100 metrics.
_SHOWN: dict[int, tuple[GraphIndex, dict[str, tuple[frozenset[str], dict[str, frozenset[str]]]]]] = {}
_SHOWN_KEPT = 8


def _shown(idx: GraphIndex) -> dict[str, tuple[frozenset[str], dict[str, frozenset[str]]]]:
    held = _SHOWN.get(id(idx))
    if held is not None and held[0] is idx:
        return held[1]
    table: dict[str, tuple[frozenset[str], dict[str, frozenset[str]]]] = {}
    for metric, shows in idx.shows.items():
        if shows:
            by_direction: dict[str, set[str]] = {}
            for symptom, wanted in shows:
                by_direction.setdefault(wanted, set()).add(symptom)
            table[metric] = (
                frozenset(symptom for symptom, _ in shows),
                {wanted: frozenset(symptoms) for wanted, symptoms in by_direction.items()},
            )
    if len(_SHOWN) >= _SHOWN_KEPT:
        _SHOWN.clear()
    _SHOWN[id(idx)] = (idx, table)
    return table


def rank(idx: GraphIndex, certainties: Mapping[str, float], seen: Evidence) -> list[RankedCause]:
    observed, measurable = seen.observed, seen.measurable
    n_observed = len(observed)
    clipped = {cause: min(1.0, max(0.0, float(value))) for cause, value in certainties.items()}
    sure = sorted((c for c, v in clipped.items() if v >= SURE), key=lambda c: (-clipped[c], c))
    scored: list[RankedCause] = []
    for cause in sorted(certainties):
        certainty = clipped[cause]
        produces = idx.produces.get(cause, {})
        effective = idx.effective.get(cause, {})
        explained = frozenset(s for s in produces if s in observed)
        reached = sorted(s for s in effective if s in observed)
        surer = [c for c in sure if c != cause and clipped[c] > certainty]
        accounted = {s for c in surer for s in idx.produces.get(c, {}) if s in observed}
        coverage = (
            sum(effective[s] * (EXPLAINED_WEIGHT if s in accounted else 1.0) for s in reached) / n_observed
            if n_observed
            else 0.0
        )
        total = sum(produces[s] for s in sorted(produces))
        absent = sorted(s for s in produces if s in measurable and s not in observed)
        missing = sum(produces[s] for s in absent) / total if total else 0.0
        score = certainty * (0.5 + 0.5 * coverage) * (1.0 - 0.5 * missing)
        scored.append(
            RankedCause(
                cause, certainty, min(1.0, coverage), score, missing, explained, absent=frozenset(absent)
            )
        )
    scored.sort(key=lambda r: (-r.score, r.cause))
    explainers = Counter(symptom for row in scored for symptom in row.explained)
    out: list[RankedCause] = []
    for i, row in enumerate(scored):
        unique = frozenset(s for s in row.explained if explainers[s] == 1)
        out.append(replace(row, unique=unique, primary=i == 0 or bool(unique)))
    return out
