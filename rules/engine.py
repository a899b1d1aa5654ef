"""The durable_rules wrapper: one session per run, serialised, with every failure surfaced.

durable_rules is fast at matching but has sharp edges the rest of sleuth must
never see (see DESIGN.md): it has no locks, keeps per-session state until told
otherwise, swallows exceptions raised in actions into that state, cannot
replace a ruleset, and starts dispatcher threads on its default host. So:

- one private host without dispatcher threads, touched only under ``_LOCK``;
- each run's facts share one session id and are all retracted in ``finally``
  (see ``SESSION_ID`` for why the session is not deleted), so the next
  incident starts from an empty session and never joins the last one's facts;
- actions only *record* which facts a rule bound (through ``_Session.record``,
  which never raises); derived facts are asserted by this module between
  rounds, once each, into every ruleset that mentions them (forward chaining
  across packs and chunks);
- after the run, ``none`` conditions are re-checked against the final facts and
  MYCIN certainties computed in Python (``rules.certainty``), because durable
  cannot retract an action that already ran before a blocking fact appeared.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from durable import engine as durable_engine

from models import Condition, Fact, RuleSpec
from rules import certainty as cf
from rules.book import RuleBook
from rules.compiler import CompiledRule, CompiledRuleset, definition, plan_rulesets
from rules.conditions import matches, subject

Observer = Callable[[str, Mapping[str, Fact]], None]

_LOCK = threading.RLock()
# One session id, reused: facts are retracted after each run instead of deleting the session,
# because durable_rules 2.0.28's delete_state corrupted the heap here (segfaults within one
# incident once numpy had run), and never deleting leaks ~200 kB per session then crashes.
SESSION_ID = "sleuth"


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A host without the background dispatch threads; every call comes from us, under the lock."""

    def _run(self) -> None:
        return None


_host: _QuietHost | None = None
_compiled: weakref.WeakKeyDictionary[RuleBook, list[CompiledRuleset]] = weakref.WeakKeyDictionary()
_sessions: dict[str, _Session] = {}


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


@dataclass
class _Raw:
    compiled: CompiledRule
    fids: dict[str, int]  # alias -> fact id


@dataclass
class _Session:
    sid: str
    facts: list[Fact]
    engine: str | None
    disabled: frozenset[str]
    observer: Observer | None
    raw: list[_Raw] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    derived: dict[str, int] = field(default_factory=dict)  # derived fact name -> fact id
    pending: list[int] = field(default_factory=list)
    asserted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # ruleset -> messages
    closing: bool = False

    def applies(self, rule: RuleSpec) -> bool:
        if rule.id in self.disabled:
            return False
        return not (rule.engines and self.engine is not None and self.engine not in rule.engines)

    def record(self, compiled: CompiledRule, message: Mapping[str, Any]) -> None:
        """Called from inside a durable action: must never raise, or the error would be swallowed."""
        try:
            if self.closing or not self.applies(compiled.rule):
                return
            fids = {b.alias: int(message[b.alias]["fid"]) for b in compiled.bindings}
            if self.observer is not None:
                self.observer(compiled.rule.id, {a: self.facts[i] for a, i in fids.items()})
            self.raw.append(_Raw(compiled, fids))
            name = compiled.rule.then.fact
            if name is not None and name not in self.derived:
                strengths = [
                    cf.condition_strength(self.facts[fids[b.alias]], compiled.condition(b))
                    for b in compiled.bindings
                ]
                certainty = cf.conclude(min(strengths, default=0.0), compiled.rule.certainty)
                fact = Fact(kind="derived", name=name, certainty=certainty, source=compiled.rule.id)
                self.derived[name] = len(self.facts)
                self.facts.append(fact)
                self.pending.append(self.derived[name])
        except Exception as exc:
            self.errors.append(f"rule {compiled.rule.id}: {type(exc).__name__}: {exc}")


def run_rules(
    book: RuleBook,
    facts: Iterable[Fact],
    *,
    engine: str | None = None,
    disabled: frozenset[str] = frozenset(),
    observer: Observer | None = None,
) -> EngineResult:
    """Match ``facts`` against the book, chaining derived facts to a fixpoint.

    ``engine`` drops rules written for other database engines; ``disabled`` drops
    rules by id; ``observer`` sees every firing (traces, tests) and may raise —
    the error lands in ``EngineResult.errors`` rather than vanishing.
    """
    with _LOCK:
        sid = SESSION_ID
        session = _Session(sid, list(facts), engine, disabled, observer)
        session.pending = list(range(len(session.facts)))
        rulesets = _rulesets_for(book)
        _sessions[sid] = session
        try:
            while session.pending:
                batch, session.pending = session.pending, []
                for ruleset in rulesets:
                    _assert(ruleset, session, batch)
        finally:
            session.closing = True
            for name, messages in session.asserted.items():
                _retract(name, messages, session)
            del _sessions[sid]
    return _finish(session)


def prepare(book: RuleBook) -> None:
    """Compile and register ``book`` now, so the first diagnosis is not charged for it."""
    with _LOCK:
        _rulesets_for(book)


def _host_instance() -> _QuietHost:
    global _host
    if _host is None:
        _host = _QuietHost()
    return _host


def _rulesets_for(book: RuleBook) -> list[CompiledRuleset]:
    """Compile and register a book once; its version makes the ruleset names new on every reload."""
    cached = _compiled.get(book)
    if cached is not None:
        return cached
    host = _host_instance()
    planned: list[CompiledRuleset] = []
    for loaded in book.packs:
        rules = [
            r for r in loaded.pack.rules if book.has_rule(r.id) and book.pack_of(r.id) == loaded.pack.pack
        ]
        if rules:
            planned.extend(plan_rulesets(f"sleuth_{loaded.pack.pack}_v{book.version}", rules))
    for ruleset in planned:
        host.register_rulesets({ruleset.name: definition(ruleset, _action)})
    _compiled[book] = planned
    return planned


def _action(compiled: CompiledRule) -> Callable[[Any], None]:
    def run(closure: Any) -> None:
        session = _sessions.get(str(closure.s.sid))
        if session is None:  # a stray session: nothing to record into, so fail loudly in durable's state
            raise RuntimeError(f"rule {compiled.rule.id} fired outside a sleuth session")
        session.record(compiled, closure._m or {})

    return run


def _assert(ruleset: CompiledRuleset, session: _Session, fids: Sequence[int]) -> None:
    wanted = [
        ruleset.message(session.facts[i], i, session.sid)
        for i in fids
        if (session.facts[i].kind, session.facts[i].name) in ruleset.subjects
    ]
    if not wanted:
        return
    host = _host_instance()
    session.asserted.setdefault(ruleset.name, []).extend(wanted)
    try:
        host.assert_facts(ruleset.name, wanted)
    except durable_engine.MessageNotHandledException:
        pass  # the sink makes this unreachable; an unmatched fact is never an error
    except Exception as exc:
        session.errors.append(f"rules engine ({ruleset.name}): {type(exc).__name__}: {exc}")
    try:
        state = host.get_state(ruleset.name, session.sid)
    except Exception:
        return
    swallowed = state.get("exception") if isinstance(state, dict) else None
    if swallowed:
        session.errors.append(
            f"rule action failed in {ruleset.name}: {str(swallowed).split(', traceback')[0]}"
        )
        state.pop("exception", None)
        host.update_state(ruleset.name, state)


def _retract(ruleset_name: str, messages: list[dict[str, Any]], session: _Session) -> None:
    try:
        _host_instance().retract_facts(ruleset_name, messages)
    except durable_engine.MessageNotHandledException:
        pass
    except Exception as exc:
        session.errors.append(f"rules engine ({ruleset_name}) cleanup: {type(exc).__name__}: {exc}")


def _finish(session: _Session) -> EngineResult:
    """Re-check ``none`` against the final facts and compute MYCIN certainties, derived facts first."""
    by_rule: dict[str, list[_Raw]] = {}
    for raw in session.raw:
        by_rule.setdefault(raw.compiled.rule.id, []).append(raw)
    rules = {rid: raws[0].compiled.rule for rid, raws in by_rule.items()}
    concluding: dict[str, list[str]] = {}
    for rid, rule in rules.items():
        concluding.setdefault(rule.then.fact or f"cause:{rule.then.cause}", []).append(rid)

    fact_cf: dict[int, float] = {}
    best: dict[str, Firing | None] = {}
    busy: set[str] = set()

    def strength(fid: int, condition: Condition | None = None) -> float:
        fact = session.facts[fid]
        if fact.kind != "derived":
            return cf.fact_strength(fact) if condition is None else cf.condition_strength(fact, condition)
        if fid not in fact_cf:
            values = [f.certainty for rid in concluding.get(fact.name, []) if (f := firing(rid)) is not None]
            fact_cf[fid] = cf.combine_all(values)
        return fact_cf[fid]

    def holds(fact_id: int) -> bool:
        return strength(fact_id) > 0.0

    def firing(rule_id: str) -> Firing | None:
        if rule_id in best:
            return best[rule_id]
        if rule_id in busy:  # a cycle lint would have rejected; break it rather than recurse forever
            return None
        busy.add(rule_id)
        rule = rules[rule_id]
        chosen: Firing | None = None
        for raw in by_rule[rule_id]:
            if _blocked(rule, session.facts, holds):
                continue
            c = raw.compiled
            all_s = [strength(raw.fids[b.alias], c.condition(b)) for b in c.bindings if b.group == "all"]
            any_s = [strength(raw.fids[b.alias], c.condition(b)) for b in c.bindings if b.group == "any"]
            p = cf.premise(all_s, any_s)
            if p <= 0.0 or (chosen is not None and p <= chosen.premise):
                continue
            bound = tuple(session.facts[raw.fids[b.alias]] for b in raw.compiled.bindings)
            chosen = Firing(rule, bound, p, cf.conclude(p, rule.certainty))
        busy.discard(rule_id)
        best[rule_id] = chosen
        return chosen

    firings = [f for rid in rules if (f := firing(rid)) is not None]
    causes: dict[str, float] = {}
    for f in firings:
        if f.rule.then.cause is not None:
            causes[f.rule.then.cause] = cf.combine(causes.get(f.rule.then.cause, 0.0), f.certainty)
    facts = []
    for fid, fact in enumerate(session.facts):
        if fact.kind == "derived":
            value = strength(fid)
            if value <= 0.0:
                continue
            fact = fact.model_copy(update={"certainty": value})
        facts.append(fact)
    final = {f.name: f for f in facts if f.kind == "derived"}
    firings = [
        Firing(
            f.rule,
            tuple(final.get(x.name, x) if x.kind == "derived" else x for x in f.facts),
            f.premise,
            f.certainty,
        )
        for f in firings
    ]
    return EngineResult(tuple(facts), tuple(firings), causes, tuple(session.errors))


def _blocked(rule: RuleSpec, facts: Sequence[Fact], holds: Callable[[int], bool]) -> bool:
    for cond in rule.when.none:
        kind, name = subject(cond)
        for fid, fact in enumerate(facts):
            if (
                (fact.kind, fact.name) == (kind, name)
                and (kind != "derived" or holds(fid))
                and matches(cond, fact)
            ):
                return True
    return False
