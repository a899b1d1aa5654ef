"""HOW chains and WHY-NOT reports, on a synthetic incident whose numbers are known."""

from __future__ import annotations

from models import CheckReport, Fact
from rules import diagnose_with_rules
from rules.engine import run_rules
from rules.explain import how, why_not, why_not_from
from rules.observations import settings_fact
from sleuth.render import why_not_text
from tests.rules.fakes import KG, book_from, incident
from tests.rules.test_engine import CHAIN


def test_why_not_names_the_failed_test_and_the_value_seen() -> None:
    book = book_from(CHAIN)
    case = incident({"latency": 2.5})  # slower, but the CPU did not move
    d = diagnose_with_rules(case, book, KG)
    assert [c.cause for c in d.causes] == []
    why = why_not(case, "cpu_saturation", book, KG)
    assert [r.rule for r in why.rules] == ["cpu_bound", "lat_and_threads"]
    cpu_bound = why.rules[0]
    assert cpu_bound.status == "failed"
    assert cpu_bound.failed == ["fact cpu_hot present=false (needs is true)"]
    nested = cpu_bound.conditions[0].because[0]
    assert nested.rule == "cpu_hot" and nested.conditions[0].tests == ["score=0 (needs >= 3)"]
    assert nested.conditions[0].checks == [
        CheckReport(field="score", op="gte", expected=3.0, seen=0.0, passed=False)
    ]
    assert why.rules[1].failed == ["none of [signal threads_running, signal cpu_user] held"]
    assert why_not(d, "cpu_saturation", book, KG).rules == why.rules
    assert why_not_text(why).startswith("why not cpu_saturation: cpu_saturation was not concluded; ")


def test_why_not_for_a_concluded_cause_and_for_a_disabled_rule() -> None:
    book = book_from(CHAIN)
    case = incident({"cpu_user": 3.0, "latency": 2.5})
    concluded = why_not(case, "cpu_saturation", book, KG)
    assert concluded.summary.startswith("cpu_saturation was concluded with certainty 0.")
    assert [r.status for r in concluded.rules] == ["fired", "fired"]
    off = why_not(
        case, "cpu_saturation", book, KG, disabled_rules=frozenset({"cpu_bound", "lat_and_threads"})
    )
    assert [r.status for r in off.rules] == ["disabled", "disabled"]
    assert off.summary == "cpu_saturation was not concluded; no applicable rule held"
    assert why_not(case, "missing_index", book, KG).summary == "no rule concludes missing_index"


def test_why_not_says_when_conditions_hold_without_strength() -> None:
    book = book_from(CHAIN)
    facts = [Fact(kind="signal", name="cpu_user", attrs={"score": 9.0, "confidence": 0.0})]
    report = why_not_from("cpu_saturation", run_rules(book, facts), book)
    cpu_hot = report.rules[0].conditions[0].because[0]
    assert (cpu_hot.rule, cpu_hot.status) == ("cpu_hot", "failed")
    assert cpu_hot.failed == [
        "every condition holds, but with no strength (premise 0: a matched fact has confidence 0)"
    ]


SETTINGS_RULE = """
pack: limits
rules:
  - id: near_limit
    title: Connections near the limit
    when:
      all:
        - observation: settings
          where: {connections_used_share: {gte: 0.9}}
    then: {cause: workload_spike}
    certainty: 0.9
"""


def test_a_conclusion_quotes_the_settings_its_rule_read_first() -> None:
    book = book_from(SETTINGS_RULE)
    peak = Fact(kind="signal", name="open_connections", attrs={"peak": 950.0})
    server = {"max_connections": "1000", "timezone": "UTC"} | {f"setting_{i}": "1" for i in range(40)}
    settings = settings_fact(server, [peak])
    assert settings is not None
    (step,) = how("workload_spike", run_rules(book, [settings]), book)
    (quoted,) = step.facts
    assert list(quoted.values)[:2] == ["connections_used_share", "max_connections"]
    assert quoted.values == settings.attrs | {"certainty": 1.0}
    assert quoted.text == "41 numeric settings; peak connections at 95% of max_connections"
