"""From what durable_rules matched to what holds: ``none`` re-checked, MYCIN certainties computed.

durable_rules runs each action as soon as its facts match, so a rule with a
``none`` condition may fire before the blocking fact is derived, and it knows
nothing of certainty factors. This module settles both after the run, in
pure Python over the recorded firings: derived facts first (recursively, a
cycle is cut rather than followed), then every rule's best firing, then the
causes by parallel combination.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from models import Fact, RuleSpec
from rules import certainty as cf
from rules.compiler import CompiledRule
from rules.conditions import matches, subject


@dataclass(frozen=True)
class RawFiring:
    """What an action recorded: the compiled rule and, per alias, the id of the fact it bound."""

    compiled: CompiledRule
    fids: Mapping[str, int]


@dataclass(frozen=True)
class Firing:
    """A rule that held, the facts it bound, and the certainty it gives its conclusion."""

    rule: RuleSpec
    facts: tuple[Fact, ...]
    premise: float
    certainty: float


@dataclass(frozen=True)
class EngineResult:
    facts: tuple[Fact, ...]  # input facts plus the derived facts that hold, with final certainties
    firings: tuple[Firing, ...]  # best firing per rule, rules that held only
    causes: dict[str, float]  # cause id -> combined certainty
    errors: tuple[str, ...]


def resolve(facts: Sequence[Fact], raw: Sequence[RawFiring], errors: Sequence[str] = ()) -> EngineResult:
    """Settle recorded firings over ``facts`` (indexed by fact id) into an ``EngineResult``."""
    settler = _Settler(facts, raw)
    firings = [f for rid in settler.rules if (f := settler.firing(rid)) is not None]
    causes: dict[str, float] = {}
    for f in firings:
        if f.rule.then.cause is not None:
            causes[f.rule.then.cause] = cf.combine(causes.get(f.rule.then.cause, 0.0), f.certainty)
    # derived facts with their settled certainty, those that hold none dropped; the rest as they came
    settled: dict[int, Fact | None] = {}
    for fid in [fid for fid, fact in enumerate(facts) if fact.kind == "derived"]:
        value = settler.strength(fid)
        settled[fid] = facts[fid].model_copy(update={"certainty": value}) if value > 0.0 else None
    final = list(facts)
    for fid, fact in settled.items():
        if fact is not None:
            final[fid] = fact
    if dropped := {fid for fid, fact in settled.items() if fact is None}:
        final = [fact for fid, fact in enumerate(final) if fid not in dropped]
    derived = {f.name: f for f in settled.values() if f is not None}
    if derived:  # a firing that bound a derived fact shows it with its settled certainty
        firings = [
            Firing(
                f.rule,
                tuple(derived.get(x.name, x) if x.kind == "derived" else x for x in f.facts),
                f.premise,
                f.certainty,
            )
            if any(x.kind == "derived" for x in f.facts)
            else f
            for f in firings
        ]
    return EngineResult(tuple(final), tuple(firings), causes, tuple(errors))


class _Settler:
    def __init__(self, facts: Sequence[Fact], raw: Sequence[RawFiring]) -> None:
        self.facts = facts
        self.by_rule: dict[str, list[RawFiring]] = {}
        for r in raw:
            self.by_rule.setdefault(r.compiled.rule.id, []).append(r)
        self.rules = {rid: raws[0].compiled.rule for rid, raws in self.by_rule.items()}
        self.concluding: dict[str, list[str]] = {}
        for rid, rule in self.rules.items():
            self.concluding.setdefault(rule.then.fact or f"cause:{rule.then.cause}", []).append(rid)
        self._about: dict[tuple[str, str], list[int]] | None = None
        self.fact_cf: dict[int, float] = {}
        self.best: dict[str, Firing | None] = {}
        self.busy: set[str] = set()

    @property
    def about(self) -> dict[tuple[str, str], list[int]]:
        """Per subject a ``none`` condition of these rules names, the ids of the facts about it, in order."""
        if self._about is None:
            wanted = {subject(c) for rule in self.rules.values() for c in rule.when.none}
            names = {name for _, name in wanted}
            facts = self.facts
            self._about = {}
            for fid in [fid for fid, fact in enumerate(facts) if fact.name in names]:
                if (about := (facts[fid].kind, facts[fid].name)) in wanted:
                    self._about.setdefault(about, []).append(fid)
        return self._about

    def strength(self, fid: int, steady: bool | None = None) -> float:
        """A fact's weight as evidence (for a condition asking for no change, ``steady``, or not; as
        such, when None); a derived fact's is the combined certainty of its rules."""
        fact = self.facts[fid]
        if fact.kind != "derived":
            return cf.fact_strength(fact) if steady is None else cf.strength_as(fact, steady)
        if fid not in self.fact_cf:
            rules = self.concluding.get(fact.name, [])
            self.fact_cf[fid] = cf.combine_all(
                f.certainty for rid in rules if (f := self.firing(rid)) is not None
            )
        return self.fact_cf[fid]

    def firing(self, rule_id: str) -> Firing | None:
        """The rule's strongest firing whose ``none`` conditions still hold, or None."""
        if rule_id in self.best:
            return self.best[rule_id]
        if rule_id in self.busy:  # a cycle lint would have rejected; cut it rather than recurse forever
            return None
        self.busy.add(rule_id)
        rule = self.rules[rule_id]
        chosen: Firing | None = None
        # ``about`` is indexed only for a rule with a ``none`` condition
        if not (rule.when.none and _blocked(rule, self.facts, self.about, self.strength)):
            for raw in self.by_rule[rule_id]:
                terms, fids, facts = raw.compiled.terms, raw.fids, self.facts
                all_s: list[float] = []
                any_s: list[float] = []
                for alias, in_all, _, steady in terms:
                    fact = facts[fids[alias]]
                    strength = (
                        cf.strength_as(fact, steady) if fact.kind != "derived" else self.strength(fids[alias])
                    )
                    (all_s if in_all else any_s).append(strength)
                p = cf.premise(all_s, any_s)
                if p > 0.0 and (chosen is None or p > chosen.premise):
                    bound = tuple(self.facts[fids[term[0]]] for term in terms)
                    chosen = Firing(rule, bound, p, cf.conclude(p, rule.certainty))
        self.busy.discard(rule_id)
        self.best[rule_id] = chosen
        return chosen


def _blocked(
    rule: RuleSpec,
    facts: Sequence[Fact],
    about: Mapping[tuple[str, str], Sequence[int]],
    strength: Callable[[int], float],
) -> bool:
    """True when a fact that holds matches one of the rule's ``none`` conditions.

    ``about`` lists, per subject, the ids of the facts about it. A derived fact
    is judged with its settled certainty, not the provisional one it was
    asserted with.
    """
    for cond in rule.when.none:
        kind, name = subject(cond)
        for fid in about.get((kind, name), ()):
            settled: float | None = None
            if kind == "derived":
                settled = strength(fid)
                if settled <= 0.0:
                    continue
            if matches(cond, facts[fid], settled):
                return True
    return False
