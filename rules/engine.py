"""The durable_rules wrapper: one session per run, serialised, with every failure surfaced.

durable_rules is fast at matching but has sharp edges the rest of sleuth must
never see: it has no locks, keeps per-session state until told otherwise,
swallows exceptions raised in actions into that state, cannot replace a
ruleset, and starts dispatcher threads on its default host. So:

- one private host without dispatcher threads, touched only under ``_LOCK``;
- each run's facts share one session id and are all retracted in ``finally``
  (see ``SESSION_ID`` for why the session is not deleted), so the next
  incident starts from an empty session and never joins the last one's facts;
- actions only *record* which facts a rule bound (through ``_Session.record``,
  which never raises); derived facts are asserted by this module between
  rounds, once each, into every ruleset that mentions them (forward chaining
  across packs and chunks);
- a ruleset only gets facts a rule of it tests, and only once they could
  complete one of its rules (``run_rules``): durable would store the rest and
  match nothing on them;
- numbers reach durable's C parser in positional notation (it crashes the
  process on ``1e-05``), through our own JSON (``rules.compiler.message_json``);
- after the run, ``rules.resolve`` re-checks ``none`` conditions against the
  final facts and computes MYCIN certainties, because durable cannot undo an
  action that already ran before a blocking fact appeared.
"""

from __future__ import annotations

import json
import threading
import traceback
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from durable import engine as durable_engine

from models import Fact, RuleSpec
from rules import certainty as cf
from rules.book import RuleBook
from rules.compiler import (
    CompiledRule,
    CompiledRuleset,
    Definitions,
    Subject,
    definition,
    plan_rulesets,
    retraction_json,
)
from rules.conditions import subject
from rules.resolve import EngineResult, Firing, RawFiring, resolve

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
# Per book, keyed by (engine, disabled rules): the rulesets a run asserts into (``_targets_for``).
_targets: weakref.WeakKeyDictionary[RuleBook, dict[tuple[str | None, frozenset[str]], _Targets]] = (
    weakref.WeakKeyDictionary()
)
_TARGETS_PER_BOOK = 32
# Actions that raised, which durable keeps as the session state's "exception" instead of raising;
# per ruleset, the count when its state was last read: a state is read only when it can hold one.
_failures = 0
_failures_read: dict[str, int] = {}
_NATIVE = durable_engine.durable_rules_engine  # the C extension durable's own Ruleset calls


@dataclass(frozen=True)
class _Targets:
    """The rulesets a run asserts into, and per fact subject those that test it.

    ``by_subject`` holds, per subject, each such ruleset's position and the
    directions its conditions on the subject demand (``None`` when one of them
    demands none): a fact moving another way matches no condition there, and
    durable would only store it.
    """

    rulesets: list[CompiledRuleset]
    by_subject: dict[Subject, tuple[tuple[int, frozenset[str] | None], ...]]
    # per ruleset, the subjects each of its live rules binds a fact about (the smallest such sets)
    needs: tuple[tuple[frozenset[Subject], ...], ...]

    def can_fire(self, at: int, present: set[Subject]) -> bool:
        """Whether facts about ``present`` could complete some rule of the ruleset at ``at``."""
        return any(need <= present for need in self.needs[at])

    def split(self, facts: Sequence[Fact], fids: Sequence[int]) -> list[list[int]]:
        """Per ruleset, the facts among ``fids`` it tests, in order: each fact is looked up once."""
        out: list[list[int]] = [[] for _ in self.rulesets]
        tested = self.by_subject.get
        for i in fids:
            fact = facts[i]
            wanted = tested((fact.kind, fact.name))
            if wanted is None:
                continue
            direction = fact.attrs.get("direction")
            for at, directions in wanted:
                if directions is None or direction in directions:
                    out[at].append(i)
        return out


@dataclass
class _Session:
    sid: str
    book: RuleBook
    facts: list[Fact]
    engine: str | None
    disabled: frozenset[str]
    observer: Observer | None
    raw: list[RawFiring] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    derived: dict[str, int] = field(default_factory=dict)  # derived fact name -> fact id
    pending: list[int] = field(default_factory=list)
    # ruleset name -> the ruleset and the ids of the facts asserted into it, to retract them by
    asserted: dict[str, tuple[CompiledRuleset, list[int]]] = field(default_factory=dict)
    closing: bool = False

    def applies(self, rule: RuleSpec) -> bool:
        return rule.id not in self.disabled and self.book.applies_to(rule.id, self.engine)

    def record(self, compiled: CompiledRule, message: Mapping[str, Any]) -> None:
        """Called from inside a durable action: must never raise, or the error would be swallowed."""
        try:
            if self.closing or not self.applies(compiled.rule):
                return
            terms = compiled.terms
            fids = {term[0]: int(message[term[0]]["fid"]) for term in terms}
            if self.observer is not None:
                self.observer(compiled.rule.id, {a: self.facts[i] for a, i in fids.items()})
            self.raw.append(RawFiring(compiled, fids))
            name = compiled.rule.then.fact
            if name is not None and name not in self.derived:
                strengths = [cf.strength_as(self.facts[fids[alias]], steady) for alias, _, _, steady in terms]
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
        session = _Session(sid, book, list(facts), engine, disabled, observer)
        session.pending = list(range(len(session.facts)))
        targets = _targets_for(book, engine, disabled)
        # A ruleset is handed nothing until the subjects of its facts cover every binding of one of
        # its rules: until then no rule there can fire, and durable would only store the facts and
        # then retract them. They go in with the first batch that could fire, in the order they
        # came, so durable reads the same sequence of facts; ``None`` once a ruleset holds facts.
        present: list[set[Subject] | None] = [set() for _ in targets.rulesets]
        held: list[list[int]] = [[] for _ in targets.rulesets]
        _sessions[sid] = session
        interrupted = False
        try:
            while session.pending:
                batch, session.pending = session.pending, []
                for at, fids in enumerate(targets.split(session.facts, batch)):
                    if not fids:
                        continue
                    seen = present[at]
                    if seen is not None:
                        known = session.facts
                        seen.update((known[i].kind, known[i].name) for i in fids)
                        held[at].extend(fids)
                        if not targets.can_fire(at, seen):
                            continue
                        present[at], fids = None, held[at]
                    _assert(targets.rulesets[at], session, fids)
        except BaseException as exc:
            interrupted = not isinstance(exc, Exception)
            raise
        finally:
            session.closing = True
            if interrupted:
                _forget_engine()
            else:
                for ruleset, asserted in session.asserted.values():
                    _retract(ruleset, asserted, session)
            del _sessions[sid]
    return resolve(session.facts, session.raw, session.errors)


def prepare(book: RuleBook) -> list[CompiledRuleset]:
    """Compile and register ``book`` now, so the first diagnosis is not charged for it.

    Returns the rulesets the book runs as (``rules.compiler`` says how rules are split).
    """
    with _LOCK:
        return list(_rulesets_for(book))


def swallowed_error(state: Any) -> str | None:
    """The exception durable_rules kept in a session's state instead of raising it, if any.

    durable records an exception raised inside an action as ``state["exception"]``
    (message, then the traceback) and carries on; this is its message.
    """
    swallowed = state.get("exception") if isinstance(state, dict) else None
    return str(swallowed).split(", traceback")[0] if swallowed else None


def _forget_engine() -> None:
    """Drop durable's engine after an interrupt (Ctrl-C, a stop signal's exception), which can land
    between two steps of an action: a session left mid-action makes durable's next call on it spin,
    cleanup included. The next run registers the books again in a fresh engine."""
    global _host
    _host = None
    _compiled.clear()
    _targets.clear()


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
    planned: list[tuple[CompiledRuleset, Definitions | None]] = []
    for loaded in book.packs:
        rules = [
            r for r in loaded.pack.rules if book.has_rule(r.id) and book.pack_of(r.id) == loaded.pack.pack
        ]
        if rules:
            rulesets = plan_rulesets(f"sleuth_{loaded.pack.pack}_v{book.version}", rules)
            # The pack's own definitions are of all its rules: of no use when another pack defined one first.
            written = loaded.definitions if len(rules) == len(loaded.pack.rules) else (None,) * len(rulesets)
            planned.extend(zip(rulesets, written, strict=True))
    for ruleset, definitions in planned:
        host.register_rulesets({ruleset.name: definition(ruleset, _action, definitions)})
    compiled = [ruleset for ruleset, _ in planned]
    _compiled[book] = compiled
    return compiled


def _targets_for(book: RuleBook, engine: str | None, disabled: frozenset[str]) -> _Targets:
    """The rulesets with a rule that can fire here, each with the fact subjects those rules test.

    A rule for another engine, or a disabled one, records nothing when it
    fires (``_Session.applies``), so a fact only it tests, or a ruleset only
    such rules fill, is not worth handing to durable at all.
    """
    per_book = _targets.setdefault(book, {})
    key = (engine, disabled)
    found = per_book.get(key)
    if found is None:
        rulesets: list[CompiledRuleset] = []
        by_subject: dict[Subject, list[tuple[int, frozenset[str] | None]]] = {}
        needs: list[tuple[frozenset[Subject], ...]] = []
        for ruleset in _rulesets_for(book):
            live = [
                c for c in ruleset.rules if c.rule.id not in disabled and book.applies_to(c.rule.id, engine)
            ]
            if live:
                directions = _directions(live)
                for wanted in sorted(frozenset().union(*(c.subjects for c in live))):
                    by_subject.setdefault(wanted, []).append((len(rulesets), directions[wanted]))
                rulesets.append(ruleset)
                needs.append(
                    _smallest({frozenset(subject(c.condition(b)) for b in c.bindings) for c in live})
                )
        found = _Targets(rulesets, {k: tuple(v) for k, v in by_subject.items()}, tuple(needs))
        if len(per_book) >= _TARGETS_PER_BOOK:
            per_book.clear()
        per_book[key] = found
    return found


def _smallest(sets: set[frozenset[Subject]]) -> tuple[frozenset[Subject], ...]:
    """The sets none of the others is a strict part of, smallest first: a larger one is covered
    whenever a part of it is."""
    return tuple(sorted((s for s in sets if not any(t < s for t in sets)), key=lambda s: (len(s), sorted(s))))


def _directions(live: Sequence[CompiledRule]) -> dict[Subject, frozenset[str] | None]:
    """Per subject the rules test, the directions their conditions on it demand; ``None`` when some
    condition demands none (it may match a fact whichever way it moved, or one with no direction)."""
    wanted: dict[Subject, set[str] | None] = {}
    for compiled in live:
        when = compiled.rule.when
        for cond in (*when.all, *when.any, *when.none):
            about = subject(cond)
            held = wanted.get(about, set())
            if cond.direction is None or held is None:
                wanted[about] = None
            else:
                wanted[about] = held | {cond.direction}
    return {about: None if held is None else frozenset(held) for about, held in wanted.items()}


def _action(compiled: CompiledRule) -> Callable[[Any], None]:
    """The action durable holds for a rule; ``_dispatch`` runs the rule's firings itself."""

    def run(closure: Any) -> None:
        global _failures
        try:
            _fire(compiled, str(closure.s.sid), closure._m or {})
        except BaseException:
            _failures += 1
            raise

    return run


def _fire(compiled: CompiledRule, sid: str, message: Mapping[str, Any]) -> None:
    session = _sessions.get(sid)
    if session is None:  # a stray session: nothing to record into, so fail loudly in durable's state
        raise RuntimeError(f"rule {compiled.rule.id} fired outside a sleuth session")
    session.record(compiled, message)


def _assert(ruleset: CompiledRuleset, session: _Session, fids: Sequence[int]) -> None:
    """Assert the facts ``fids`` (each one the ruleset tests) and surface what durable swallowed."""
    facts, sid = session.facts, session.sid
    asserted = session.asserted.setdefault(ruleset.name, (ruleset, []))[1]
    host = _host_instance()
    try:
        wanted = ruleset.messages_json(facts, fids, sid)
        asserted.extend(fids)
        _call(host, ruleset, "assert_facts", "[" + ",".join(wanted) + "]")
    except durable_engine.MessageNotHandledException:
        pass  # the sink makes this unreachable; an unmatched fact is never an error
    except Exception as exc:
        session.errors.append(f"rules engine ({ruleset.name}): {type(exc).__name__}: {exc}")
    if _failures_read.get(ruleset.name, 0) == _failures:
        return  # no action raised since this ruleset's state was last read: nothing was swallowed
    _failures_read[ruleset.name] = _failures
    try:
        state = host.get_state(ruleset.name, session.sid)
    except Exception:
        return
    swallowed = swallowed_error(state)
    if swallowed is not None:
        session.errors.append(f"rule action failed in {ruleset.name}: {swallowed}")
        state.pop("exception", None)
        host.update_state(ruleset.name, state)


def _call(host: _QuietHost, compiled: CompiledRuleset, operation: str, text: str) -> None:
    """``Host.assert_facts``/``retract_facts`` with our own JSON ``text`` (see ``message_json``),
    then the actions the call queued."""
    ruleset = host.get_ruleset(compiled.name)
    result = getattr(_NATIVE, operation)(ruleset._handle, text)
    _dispatch(ruleset._handle, ruleset._handle_result(result, text), compiled.named)


def _dispatch(handle: int, state_handle: int, rules: Mapping[str, CompiledRule]) -> None:
    """Run the actions one engine call queued, as durable's ``Ruleset.do_actions`` does.

    durable builds a closure per firing (with a clock read and a JSON round trip of
    the session state); a sleuth action only records what it bound, so it is
    called here with the parsed message, and the state goes back to the engine as
    the engine wrote it unless an action failed, which durable's convention
    stores in it as ``exception`` (``swallowed_error`` reads it back).
    """
    global _failures
    started = _NATIVE.start_action_for_state(handle, state_handle)
    if not started:
        return
    state_text, message_text = started
    sid = _state_sid(state_text)
    while message_text:
        fired = json.loads(message_text)
        name = next(iter(fired), None)
        compiled = rules.get(name) if name is not None else None
        if compiled is not None:
            try:
                _fire(compiled, sid, fired[name])
            except (KeyboardInterrupt, SystemExit):
                raise  # an interrupt is no action failure: it goes on up (``run_rules`` cleans up)
            except BaseException as error:
                _failures += 1
                state = json.loads(state_text)
                state["exception"] = (
                    f"exception caught {error}, traceback {traceback.format_tb(error.__traceback__)}"
                )
                state_text = json.dumps(state, ensure_ascii=False)
        try:
            _NATIVE.update_state(handle, state_text)
            message_text = _NATIVE.complete_and_start_action(handle, state_handle)
        except BaseException:
            _NATIVE.abandon_action(handle, state_handle)
            raise


def _state_sid(state_text: str) -> str:
    """The session id in a state's JSON; one session's state text repeats word for word between
    firings, so it is parsed once."""
    sid = _STATE_SIDS.get(state_text)
    if sid is None:
        if len(_STATE_SIDS) >= _STATE_SIDS_KEPT:
            _STATE_SIDS.clear()
        sid = _STATE_SIDS[state_text] = str(json.loads(state_text).get("sid"))
    return sid


_STATE_SIDS: dict[str, str] = {}
_STATE_SIDS_KEPT = 256


def _retract(ruleset: CompiledRuleset, fids: list[int], session: _Session) -> None:
    try:
        _call(_host_instance(), ruleset, "retract_facts", retraction_json(fids, session.sid))
    except durable_engine.MessageNotHandledException:
        pass
    except Exception as exc:
        session.errors.append(f"rules engine ({ruleset.name}) cleanup: {type(exc).__name__}: {exc}")


__all__ = ["SESSION_ID", "EngineResult", "Firing", "Observer", "prepare", "run_rules", "swallowed_error"]
