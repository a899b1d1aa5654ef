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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from knowledge_graph._index import GraphIndex
from knowledge_graph._types import RankedCause
from models.facts import Fact

SHOWS_AT = 0.5  # a signal's confidence (or a fact's certainty) from which it counts as evidence


def _confidence(fact: Fact) -> float:
    value = fact.attrs.get("confidence", fact.certainty)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def observed_symptoms(
    idx: GraphIndex, signals: Iterable[Fact], canonical: Mapping[str, str | None]
) -> tuple[set[str], set[str]]:
    """Symptoms shown, and metrics measured; ``canonical`` maps a fact name to its metric id."""
    observed: set[str] = set()
    measured: set[str] = set()
    for fact in signals:
        if fact.kind != "signal":
            if fact.name in idx.symptoms and fact.certainty >= SHOWS_AT:
                observed.add(fact.name)
            continue
        metric = canonical.get(fact.name)
        if metric is None:
            continue
        measured.add(metric)
        direction = fact.attrs.get("direction")
        if _confidence(fact) < SHOWS_AT:
            continue
        for symptom, wanted in idx.shows.get(metric, []):
            if wanted == direction:
                observed.add(symptom)
    return observed, measured


def rank(
    idx: GraphIndex, certainties: Mapping[str, float], observed: set[str], measured: set[str]
) -> list[RankedCause]:
    measurable = {s for s, obs in idx.observed_by.items() if any(m in measured for m, _ in obs)} | observed
    n_observed = len(observed)
    scored: list[RankedCause] = []
    for cause in sorted(certainties):
        certainty = min(1.0, max(0.0, float(certainties[cause])))
        produces = idx.produces.get(cause, {})
        effective = idx.effective.get(cause, {})
        explained = frozenset(s for s in produces if s in observed)
        reached = sorted(s for s in effective if s in observed)
        coverage = sum(effective[s] for s in reached) / n_observed if n_observed else 0.0
        total = sum(produces[s] for s in sorted(produces))
        absent = sorted(s for s in produces if s in measurable and s not in observed)
        missing = sum(produces[s] for s in absent) / total if total else 0.0
        score = certainty * (0.5 + 0.5 * coverage) * (1.0 - 0.5 * missing)
        scored.append(RankedCause(cause, certainty, min(1.0, coverage), score, missing, explained))
    scored.sort(key=lambda r: (-r.score, r.cause))
    explainers = Counter(symptom for row in scored for symptom in row.explained)
    out: list[RankedCause] = []
    for i, row in enumerate(scored):
        unique = frozenset(s for s in row.explained if explainers[s] == 1)
        out.append(replace(row, unique=unique, primary=i == 0 or bool(unique)))
    return out
