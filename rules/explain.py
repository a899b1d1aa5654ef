"""HOW and WHY-NOT: the two questions a DBA asks of an expert system's answer.

HOW walks back from a concluded cause through the rules that fired and the
derived facts they rested on, down to the signals, quoting each fact's
numbers. WHY-NOT re-evaluates, in plain Python (``rules.conditions``), every
rule that could have concluded a cause and reports the failed tests with the
values seen, recursing into derived facts that did not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from models import (
    CheckReport,
    ConditionReport,
    Diagnosis,
    Evidence,
    Fact,
    Incident,
    RuleFiring,
    RuleReport,
    RuleSpec,
    WhyNot,
)
from models.diagnosis import ConditionGroup, RuleStatus
from rules.book import RuleBook
from rules.conditions import ConditionResult, TestOutcome, best_match, describe_subject
from rules.engine import EngineResult, Firing, run_rules
from rules.facts import incident_facts
from rules.lint import conditions

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph

MAX_DEPTH = 4


def evidence(fact: Fact, tested: frozenset[str] = frozenset()) -> Evidence:
    """The fact as a conclusion quotes it, an observation's tested attributes first: what the rule
    read says why, and a server's settings are hundreds (the rest still name the statement, the
    table and the fix)."""
    attrs = fact.attrs
    values: dict[str, float | str | bool] = {k: attrs[k] for k in attrs if k in tested} if tested else {}
    values.update(attrs)
    values["certainty"] = round(fact.certainty, 4)
    return Evidence(kind=fact.kind, name=fact.name, values=values, text=fact.text, source=fact.source)


def _tested(rule: RuleSpec, observation: str) -> frozenset[str]:
    """The attributes of ``observation`` that ``rule``'s conditions test."""
    return frozenset(
        key for _, _, cond in conditions(rule) if cond.observation == observation for key in cond.where
    )


def how(cause: str, result: EngineResult, book: RuleBook) -> list[RuleFiring]:
    """The firings behind ``cause``, prerequisites first, each derived fact explained once."""
    by_conclusion: dict[str, list[Firing]] = {}
    for firing in result.firings:
        then = firing.rule.then
        key = f"cause:{then.cause}" if then.cause is not None else f"fact:{then.fact}"
        by_conclusion.setdefault(key, []).append(firing)
    chain: list[RuleFiring] = []
    explained: set[str] = set()

    def visit(key: str) -> None:
        if key in explained:
            return
        explained.add(key)
        for firing in sorted(by_conclusion.get(key, []), key=lambda f: -f.certainty):
            for fact in firing.facts:
                if fact.kind == "derived":
                    visit(f"fact:{fact.name}")
            chain.append(_step(firing, book))

    visit(f"cause:{cause}")
    return chain


def chain_evidence(chain: list[RuleFiring]) -> list[Evidence]:
    """The non-derived facts of a chain, once each, in the order the chain met them."""
    seen: set[tuple[str, str]] = set()
    out: list[Evidence] = []
    for step in chain:
        for ev in step.facts:
            if ev.kind != "derived" and (ev.kind, ev.name) not in seen:
                seen.add((ev.kind, ev.name))
                out.append(ev)
    return out


def why_not(
    incident_or_diagnosis: Incident | Diagnosis,
    cause: str,
    book: RuleBook,
    kg: KnowledgeGraph,
    *,
    infer_window: bool = False,
    disabled_rules: frozenset[str] = frozenset(),
    extra_facts: Sequence[Fact] = (),
) -> WhyNot:
    """WHY-NOT for an incident (signals re-extracted) or a diagnosis (its signals reused).

    The rules are re-run on those facts plus ``extra_facts`` (a diagnosis keeps
    no observations, so pass the planner's here) and derived facts are judged as
    the diagnosis saw them; raises ``rules.signals.SignalError`` for an incident
    without usable metrics.
    """
    engine: str | None = None
    if isinstance(incident_or_diagnosis, Incident):
        facts = incident_facts(incident_or_diagnosis, kg, infer_window=infer_window).all
        engine = incident_or_diagnosis.instance.engine
    else:
        facts = list(incident_or_diagnosis.signals)
    facts.extend(extra_facts)
    result = run_rules(book, facts, engine=engine, disabled=disabled_rules)
    return why_not_from(cause, result, book, engine=engine, disabled_rules=disabled_rules)


def why_not_from(
    cause: str,
    result: EngineResult,
    book: RuleBook,
    *,
    engine: str | None = None,
    disabled_rules: frozenset[str] = frozenset(),
) -> WhyNot:
    """For each rule that concludes ``cause``: which conditions failed, with the values seen.

    Rules written for another engine come last: they could never have fired on
    this incident, so the DBA reads the ones that could first.
    """
    ctx = _Context(result.facts, book, frozenset(f.rule.id for f in result.firings), engine, disabled_rules)
    entries = sorted(
        (ctx.report(rule, 0) for rule in book.concluding(cause)), key=lambda e: e.status == "other engine"
    )
    certainty = result.causes.get(cause, 0.0)
    if not entries:
        summary = f"no rule concludes {cause}"
    elif certainty > 0.0:
        summary = f"{cause} was concluded with certainty {certainty:.2f}"
    else:
        firsts = [f"{e.rule}: {e.failed[0]}" for e in entries if e.failed and e.status == "failed"]
        summary = f"{cause} was not concluded; " + (
            "; ".join(firsts) if firsts else "no applicable rule held"
        )
    return WhyNot(cause=cause, rules=entries, summary=summary)


@dataclass(frozen=True)
class _Context:
    """What every level of a WHY-NOT report needs; reports recurse into derived facts."""

    facts: tuple[Fact, ...]
    book: RuleBook
    fired: frozenset[str]
    engine: str | None
    disabled: frozenset[str]

    def status(self, rule: RuleSpec) -> RuleStatus:
        if rule.id in self.disabled:
            return "disabled"
        if not self.book.applies_to(rule.id, self.engine):
            return "other engine"
        return "fired" if rule.id in self.fired else "failed"

    def report(self, rule: RuleSpec, depth: int) -> RuleReport:
        checks: list[ConditionReport] = []
        failed: list[str] = []
        any_results: list[ConditionResult] = []
        for group, _index, cond in conditions(rule):
            result = best_match(cond, self.facts)
            ok = not result.matched if group == "none" else result.matched
            because: list[RuleReport] = []
            if cond.fact is not None and not result.matched and group != "none" and depth < MAX_DEPTH:
                because = [self.report(r, depth + 1) for r in self.book.concluding(cond.fact)]
            checks.append(
                ConditionReport(
                    group=cast("ConditionGroup", group),  # lint.GROUPS holds exactly these three
                    condition=describe_subject(cond),
                    passed=ok,
                    tests=[t.describe() for t in result.tests],
                    failed_tests=[t.describe() for t in result.failed],
                    checks=[_check(t) for t in result.tests],
                    text=result.fact.text if result.fact is not None else "",
                    because=because,
                )
            )
            if group == "any":
                any_results.append(result)
            elif not ok and group == "none":
                failed.append(f"{describe_subject(cond)} must be absent")
            elif not ok:
                failed.append(f"{describe_subject(cond)} " + "; ".join(t.describe() for t in result.failed))
        if any_results and not any(r.matched for r in any_results):
            names = ", ".join(describe_subject(r.condition) for r in any_results)
            failed.append(f"none of [{names}] held")
        status = self.status(rule)
        if status == "failed" and not failed:
            failed.append(
                "every condition holds, but with no strength (premise 0: a matched fact has confidence 0)"
            )
        return RuleReport(
            rule=rule.id,
            title=rule.title,
            pack=self.book.pack_of(rule.id),
            status=status,
            certainty=rule.certainty,
            conditions=checks,
            failed=failed,
        )


def _check(t: TestOutcome) -> CheckReport:
    expected = list(t.expected) if isinstance(t.expected, tuple) else t.expected
    return CheckReport(field=t.field, op=t.op, expected=expected, seen=t.seen, passed=t.passed)


def _step(firing: Firing, book: RuleBook) -> RuleFiring:
    then = firing.rule.then
    return RuleFiring(
        rule=firing.rule.id,
        pack=book.pack_of(firing.rule.id) if book.has_rule(firing.rule.id) else "",
        concludes=then.cause if then.cause is not None else str(then.fact),
        conclusion_kind="cause" if then.cause is not None else "fact",
        premise=round(firing.premise, 4),
        certainty=round(firing.certainty, 4),
        facts=[
            evidence(f, _tested(firing.rule, f.name) if f.kind == "observation" else frozenset())
            for f in firing.facts
        ],
    )
