"""Rule specs to durable_rules ruleset definitions.

Each rule becomes one durable_rules ``when_all`` per alternative of its ``any``
group (so every firing binds exactly the facts its premise is computed from),
each positive condition bound to an alias ``f<i>`` the action reads back, and
each ``none`` condition a durable ``none``. Rules are split into rulesets of at
most ``CHUNK`` rules because durable_rules fails near 511 rules per ruleset,
and with at most ``SUBJECT_LIMIT`` rules on any one fact subject because one
fact that activates more than 64 rules of a ruleset at once fails the assert
with error 303 (measured on durable_rules 2.0.28). Every ruleset gets a sink
rule so that a fact no rule wants does not raise ``MessageNotHandledException``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from durable import lang

from models import Condition, Fact, NumTest, RuleSpec
from rules import certainty as cf
from rules.conditions import NUMERIC_CONDITION_FIELDS, subject

CHUNK = 200
SUBJECT_LIMIT = 60
# durable fires lower `pri` first, treats a negative `pri` as lowest priority and 0 as "unset":
# salience (higher first) maps to PRI_BASE - salience, clamped to at least 1.
PRI_BASE = 1000
SINK_NEVER = "__sleuth_never__"

Action = Callable[[Any], None]
# Per rule name, its durable definition without the action (``rule_definitions``).
Definitions = dict[str, dict[str, Any]]
SINK = "__sink__"
Subject = tuple[str, str]


@dataclass(frozen=True)
class Binding:
    """Which condition of the spec a durable alias stands for."""

    alias: str
    group: str  # "all" or "any"
    index: int


@dataclass(frozen=True)
class CompiledRule:
    """One durable rule: a spec, or one `any` alternative of it, and what each alias binds."""

    name: str  # unique within the book: the rule id, or "<id>#<k>" for its k-th `any` alternative
    rule: RuleSpec
    bindings: tuple[Binding, ...]
    subjects: frozenset[Subject]

    def condition(self, binding: Binding) -> Condition:
        when = self.rule.when
        return when.all[binding.index] if binding.group == "all" else when.any[binding.index]

    @functools.cached_property
    def terms(self) -> tuple[tuple[str, bool, Condition, bool], ...]:
        """Per binding, what every firing asks of it: its alias, whether it is of the ``all`` group,
        its condition, and whether that condition asks for no change (``certainty.asserts_no_change``)."""
        return tuple(
            (b.alias, b.group == "all", c, cf.asserts_no_change(c))
            for b in self.bindings
            for c in (self.condition(b),)
        )


@dataclass(frozen=True)
class CompiledRuleset:
    name: str
    rules: tuple[CompiledRule, ...]
    subjects: frozenset[Subject]  # facts worth asserting into this ruleset at all
    keys: dict[Subject, frozenset[str]]  # per subject, the message keys some condition tests

    @functools.cached_property
    def named(self) -> dict[str, CompiledRule]:
        """The rules by the name durable reports their firings under."""
        return {c.name: c for c in self.rules}

    @functools.cached_property
    def layouts(self) -> dict[Subject, _Layout]:
        """Per fact subject, how this ruleset's messages about it are written (``_layout``)."""
        return {about: _layout(about, keys) for about, keys in self.keys.items()}

    def messages_json(self, facts: Sequence[Fact], fids: Iterable[int], sid: str) -> list[str]:
        """``message_json`` of each fact ``fids`` picks, with only the attributes this ruleset reads.

        Fewer properties make the JSON cheaper and keep durable's fixed-size
        property table (64 slots, open addressing) far from full.
        """
        head, layouts = _head_json(sid), self.layouts
        out: list[str] = []
        for fid in fids:
            fact = facts[fid]
            about = (fact.kind, fact.name)
            layout = layouts.get(about)
            n = str(fid)
            out.append(_write(fact, f'{head}{n},"fid":{n}', layout or _layout(about, _NO_KEYS)))
        return out


_BASE_KEYS = frozenset({"sid", "fid", "kind", "name"})
_NO_KEYS: frozenset[str] = frozenset()


def condition_keys(cond: Condition) -> frozenset[str]:
    """The message keys a condition's expression reads."""
    keys = {attr_key(f, 0.0) for f in NUMERIC_CONDITION_FIELDS if getattr(cond, f) is not None}
    if cond.shape is not None:
        keys.add(attr_key("shape", ""))
    if cond.direction is not None:
        keys.add(attr_key("direction", ""))
    keys.update(attr_key(k, 0.0 if isinstance(v, NumTest) else v) for k, v in cond.where.items())
    return frozenset(keys)


def attr_key(field: str, like: float | str | bool) -> str:
    """The message key of an attribute, typed by its value: ``n_`` number, ``s_`` text, ``b_`` flag.

    durable_rules coerces across types (``"many" > 100`` and ``1.0 == true``
    both hold there), while ``rules.conditions`` does not; typing the key makes
    a test on the wrong type read a missing key, which never matches, so the
    engine and the WHY-NOT evaluator agree. ``certainty`` is the fact's own.
    """
    if field == "certainty":
        return "certainty"
    if isinstance(like, bool):
        return f"b_{field}"
    return f"s_{field}" if isinstance(like, str) else f"n_{field}"


def awkward_number(value: Any) -> bool:
    """A float whose ``repr`` uses an exponent (or is not finite), which durable cannot parse."""
    if not isinstance(value, float):
        return False
    magnitude = abs(value)
    return not math.isfinite(value) or magnitude >= 1e16 or (0.0 < magnitude < 1e-4)


def _encode_value(value: Any) -> str | None:
    if isinstance(value, float):
        text = float.__repr__(value)  # as ``json.dumps`` writes a float, a subclass's own repr aside
        if "e" not in text and "n" not in text:  # positional already: no exponent, nan or inf
            return text
        if not math.isfinite(value):
            return None
        text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    return json.dumps(value, ensure_ascii=False)


def message_json(fact: Fact, fid: int, sid: str, keys: frozenset[str]) -> str:
    """A fact as a durable_rules message: its subject, and of its attributes only those ``keys``
    names (each under its typed key, ``attr_key``), with durable's own ``id`` set to ``fid``.

    ``fid`` lets actions map what they bound back to ``Fact`` objects. A fact
    without an ``id`` is named by a hash of all its properties, sorted, on every
    assert and retract; ``fid`` is already unique within the run. Written straight
    as text: a ruleset reads two or three attributes, and a dict plus
    ``json.dumps`` cost more than the few pieces. Every number is in positional
    notation, as durable_rules' C parser crashes the process on exponents
    (``1e-05``, ``1e+20``, both ordinary ``repr`` of floats); a non-finite number
    is left out, which no test matches.
    """
    n = str(int(fid))
    return _write(fact, f'{_head_json(sid)}{n},"fid":{n}', _layout((fact.kind, fact.name), keys))


# A message's fixed parts for one subject and set of keys: the subject's JSON, whether the fact's
# certainty is read, and per attribute read the JSON before its value as a number, a text and a flag.
_Layout = tuple[str, bool, tuple[tuple[str, str | None, str | None, str | None], ...]]


def _layout(about: Subject, keys: frozenset[str]) -> _Layout:
    return (_subject_json(*about), "certainty" in keys, _typed_json_reads(keys))


def _write(fact: Fact, start: str, layout: _Layout) -> str:
    """The message's JSON from its start (``{"sid":…,"fid":…``) on."""
    subject_json, certainty_read, reads = layout
    parts = [start, subject_json]
    if certainty_read:
        certainty = _encode_value(fact.certainty)
        if certainty is not None:
            parts += (',"certainty":', certainty)
    attrs = fact.attrs
    text: str | None
    for key, as_number, as_text, as_flag in reads:
        value = attrs.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            typed, text = as_flag, "true" if value else "false"
        elif isinstance(value, str):
            typed, text = as_text, f'"{token(value)}"'
        else:
            typed, text = as_number, _encode_value(value)
        if typed is not None and text is not None:
            parts += (typed, text)
    parts.append("}")
    return "".join(parts)


def retraction_json(fids: Iterable[int], sid: str) -> str:
    """The JSON that retracts the facts ``fids`` asserted as ``message_json`` wrote them: durable
    finds a fact to retract by its session and ``id`` alone, and reads nothing else of it."""
    head = _head_json(sid)
    return "[" + ",".join(f"{head}{int(fid)}}}" for fid in fids) + "]"


@functools.lru_cache(maxsize=64)
def _head_json(sid: str) -> str:
    return f'{{"sid":{json.dumps(sid, ensure_ascii=False)},"id":'


@functools.lru_cache(maxsize=4096)
def _subject_json(kind: str, name: str) -> str:
    return f',"kind":"{token(kind)}","name":"{token(name)}"'


@functools.lru_cache(maxsize=1024)
def _typed_json_reads(keys: frozenset[str]) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    """Per attribute ``keys`` reads, the JSON before its value as a number, a text and a flag
    (``attr_key``), each only if ``keys`` holds that typed key; ``certainty`` is the fact's own,
    never an attribute's."""

    def prefix(typed: str) -> str | None:
        return f",{json.dumps(typed, ensure_ascii=False)}:" if typed in keys else None

    names = sorted({typed[2:] for typed in keys if typed[1:2] == "_"} - {"certainty"})
    return tuple(
        (name, prefix(attr_key(name, 0.0)), prefix(attr_key(name, "")), prefix(attr_key(name, True)))
        for name in names
    )


@functools.lru_cache(maxsize=4096)
def token(text: str) -> str:
    """What durable sees instead of a string: a short digest, plain ASCII, equal iff the text is.

    durable compares string literals as the escaped text it was given; a fact
    written with ASCII escapes (``caf\\u00e9``) never equalled ``café`` in a
    rule, which durable's own encoder writes raw. Digests leave nothing to
    escape, and rules only ever test strings for equality.
    """
    return "t" + hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def expand(rule: RuleSpec) -> list[CompiledRule]:
    """One compiled rule per `any` alternative (or one when there is no `any`)."""
    alternatives: list[int | None] = list(range(len(rule.when.any))) if rule.when.any else [None]
    out: list[CompiledRule] = []
    for k in alternatives:
        bindings = [Binding(f"f{i}", "all", i) for i in range(len(rule.when.all))]
        if k is not None:
            bindings.append(Binding(f"f{len(bindings)}", "any", k))
        used = [rule.when.all[b.index] if b.group == "all" else rule.when.any[b.index] for b in bindings]
        subjects = frozenset(subject(c) for c in (*used, *rule.when.none))
        name = rule.id if k is None else f"{rule.id}#{k}"
        out.append(CompiledRule(name, rule, tuple(bindings), subjects))
    return out


def plan_rulesets(
    prefix: str, rules: Sequence[RuleSpec], chunk: int = CHUNK, per_subject: int = SUBJECT_LIMIT
) -> list[CompiledRuleset]:
    """Group compiled rules first-fit into rulesets named ``<prefix>_<k>`` within both limits."""
    groups: list[list[CompiledRule]] = []
    counts: list[dict[Subject, int]] = []
    for compiled in (c for r in rules for c in expand(r)):
        for group, count in zip(groups, counts, strict=True):
            if len(group) < chunk and all(count.get(s, 0) < per_subject for s in compiled.subjects):
                break
        else:
            group, count = [], {}
            groups.append(group)
            counts.append(count)
        group.append(compiled)
        for s in compiled.subjects:
            count[s] = count.get(s, 0) + 1
    return [_ruleset(f"{prefix}_{k}", group) for k, group in enumerate(groups)]


def _ruleset(name: str, group: list[CompiledRule]) -> CompiledRuleset:
    keys: dict[Subject, set[str]] = {}
    for compiled in group:
        when = compiled.rule.when
        for cond in (*when.all, *when.any, *when.none):
            keys.setdefault(subject(cond), set()).update(condition_keys(cond))
    return CompiledRuleset(
        name,
        tuple(group),
        frozenset(keys),
        {s: frozenset(k) for s, k in keys.items()},
    )


def rule_definitions(ruleset: CompiledRuleset) -> Definitions:
    """Each rule's durable_rules definition without its action, by the name durable reports it under.

    It depends on neither the ruleset's name nor the actions, so a pack's are
    written once, when the pack is read (``pack_definitions``), and kept with it
    in the compiled cache: building durable's expression objects costs more than
    durable's own parse of the result. The DSL touches durable's global stacks
    only inside its ``with`` blocks, which sleuth never opens.
    """
    written: Definitions = {compiled.name: _when_all(compiled).define() for compiled in ruleset.rules}
    written[SINK] = lang.when_all(
        lang.c.f0 << +lang.m.kind, lang.c.f1 << (lang.m.kind == SINK_NEVER)
    ).define()
    return written


def pack_definitions(rules: Sequence[RuleSpec]) -> tuple[Definitions, ...]:
    """``rule_definitions`` of each ruleset ``plan_rulesets`` splits ``rules`` into, in its order."""
    return tuple(rule_definitions(ruleset) for ruleset in plan_rulesets("", rules))


def definition(
    ruleset: CompiledRuleset, action_for: Callable[[CompiledRule], Action], written: Definitions | None = None
) -> dict[str, Any]:
    """The durable_rules definition dict, ready for ``Host.register_rulesets``: ``written`` (by
    default ``rule_definitions(ruleset)``) with each rule's action.

    durable removes each rule's action before parsing the definition, so every
    rule is a copy and ``written`` can be used again.
    """
    named = ruleset.named
    return {
        name: {**rule, "run": _ignore if name == SINK else action_for(named[name])}
        for name, rule in (rule_definitions(ruleset) if written is None else written).items()
    }


def _ignore(_closure: Any) -> None:
    """Never runs: the sink's second fact never exists; it only marks every fact as handled."""


def _when_all(compiled: CompiledRule) -> Any:
    spec = compiled.rule
    parts: list[Any] = []
    for b in compiled.bindings:
        parts.append(getattr(lang.c, b.alias) << _expression(compiled.condition(b)))
    parts.extend(lang.none(_expression(cond)) for cond in spec.when.none)
    parts.append(lang.pri(max(1, PRI_BASE - spec.salience)))
    return lang.when_all(*parts)


def _expression(cond: Condition) -> Any:
    kind, name = subject(cond)
    m = lang.m
    expr = (m.kind == token(kind)) & (m.name == token(name))
    for field in NUMERIC_CONDITION_FIELDS:
        test = getattr(cond, field)
        if test is not None:
            expr = _numeric(expr, attr_key(field, 0.0), test)
    if cond.shape is not None:
        key = attr_key("shape", "")
        alternatives = None
        for shape in cond.shape:
            one = getattr(m, key) == token(shape)
            alternatives = one if alternatives is None else alternatives | one
        expr = expr & alternatives
    if cond.direction is not None:
        expr = expr & (getattr(m, attr_key("direction", "")) == token(cond.direction))
    for key, want in cond.where.items():
        if isinstance(want, NumTest):
            expr = _numeric(expr, attr_key(key, 0.0), want)
        else:
            expr = expr & (
                getattr(m, attr_key(key, want)) == (token(want) if isinstance(want, str) else want)
            )
    return expr


def _numeric(expr: Any, key: str, test: NumTest) -> Any:
    """The test's bounds as durable conditions: ``NumTest.compare`` on durable's expression objects."""
    for op, bound in test.bounds():
        expr = expr & NumTest.compare(op, getattr(lang.m, key), bound)
    return expr
