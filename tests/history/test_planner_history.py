"""The planner with a history: past verdicts steer its hypotheses, and the reflection may cite them."""

from __future__ import annotations

from models import PlanStep
from planner.backends.scripted import ScriptedModel
from planner.plan import hypotheses
from planner.tools import IncidentSource, ToolContext, default_registry
from planner.triage import diagnose
from sleuth.history.records import Confirmed
from sleuth.history.signature import signature
from sleuth.history.similar import PastIncidents
from tests.planner.fakes import KG, ScriptedRules, incident
from tests.planner.helpers import config

PLAN = '{"checks": ["compare_window_cpu_user", "lock_waits"]}'


def history_of(rules: ScriptedRules, cause: str, note: str = "") -> PastIncidents:
    """One confirmed past incident whose metrics moved exactly like this one's."""
    sig = signature(rules.signal_set.facts)
    return PastIncidents([Confirmed(7, "mysql", "orders-0611", sig, (cause,), note, 1.0, None)])


def test_the_reflection_may_cite_a_cause_confirmed_on_a_similar_past_incident() -> None:
    inc = incident()
    rules = ScriptedRules(inc, {})
    past = history_of(rules, "io_saturation", "the SAN was degraded")
    answer = '{"cause": "io_saturation", "certainty": "high", "refs": ["s4"]}'
    model = ScriptedModel([PLAN, answer])
    cfg = config(strategy="json", plan_size=2)
    dx = diagnose(inc, graph=KG, run_rules=rules, model_factory=lambda: model, config=cfg, history=past)
    assert [(c.cause, c.source) for c in dx.causes] == [("io_saturation", "llm")]
    assert [(e.name, e.values["record"], e.source) for e in dx.causes[0].evidence] == [
        ("similar_incident", 7, "s4")
    ]
    (plan,) = [e for e in dx.trace if e.kind == "note" and e.name == "plan"]
    assert [s["tool"] for s in plan.output["plan"]["steps"]] == [
        "compare_window",
        "lock_waits",
        "correlated_metrics",
        "similar_incidents",
    ]
    # the past verdict is the last evidence the model reads before it answers
    reflect = model.calls[1].prompt
    assert reflect.index("Evidence s4 (similar_incidents)") > reflect.index("Evidence s3")
    assert "the DBA confirmed io_saturation" in reflect


def test_past_verdicts_come_first_among_the_hypotheses_and_weigh_on_the_checks() -> None:
    rules = ScriptedRules(incident(), {})
    plain = hypotheses(KG, rules.signal_set.facts, 6, "mysql")
    voted = hypotheses(
        KG, rules.signal_set.facts, 6, "mysql", [("io_saturation", 1.8), ("cpu_saturation", 0.2)]
    )
    assert plain.prior is None and "io_saturation" in plain.causes[1:]
    assert voted.causes[:2] == ["io_saturation", "cpu_saturation"]
    assert set(voted.causes) == set(plain.causes)
    assert voted.prior is not None
    assert voted.prior["io_saturation"] == 1.0 + 3.0 * 0.9
    assert voted.prior["lock_contention"] == 1.0
    # a cause that cannot happen on the engine is not offered, whoever voted for it
    pg_only = hypotheses(KG, rules.signal_set.facts, 6, "mysql", [("not_a_cause", 5.0)])
    assert pg_only.prior is None


def test_the_history_tool_reports_the_matches_and_votes() -> None:
    inc = incident()
    rules = ScriptedRules(inc, {})
    ctx = ToolContext(
        source=IncidentSource(inc),
        graph=KG,
        window=inc.window,
        signals=list(rules.signal_set.facts),
        history=history_of(rules, "lock_contention", "a scan held the rows"),
    )
    result = default_registry().run(PlanStep(id="s9", tool="similar_incidents"), ctx)
    assert result.ok
    assert result.summary == (
        "similar past incidents #7 orders-0611 (similarity 1.00): lock_contention (a scan held the rows); "
        "the DBA confirmed lock_contention"
    )
    assert result.data["causes"] == {"lock_contention": 1.0}
    assert [(f.name, f.attrs["cause"], f.source) for f in result.facts] == [
        ("similar_incident", "lock_contention", "s9")
    ]


def test_without_a_history_the_tool_fails_and_the_plan_does_not_ask_for_it() -> None:
    inc = incident()
    ctx = ToolContext(source=IncidentSource(inc), graph=KG, window=inc.window)
    result = default_registry().run(PlanStep(id="s1", tool="similar_incidents"), ctx)
    assert (result.ok, result.error) == (False, "LookupError: no incident history to search")
    rules = ScriptedRules(inc, {})
    unlike = PastIncidents(
        [Confirmed(1, "mysql", "x", {"unrelated": 3.0}, ("io_saturation",), "", 0.0, None)]
    )
    model = ScriptedModel(["compare_window_cpu_user", "lock_waits", "inconclusive"])
    dx = diagnose(
        inc,
        graph=KG,
        run_rules=rules,
        model_factory=lambda: model,
        config=config(plan_size=2),
        history=unlike,
    )
    (plan,) = [e for e in dx.trace if e.kind == "note" and e.name == "plan"]
    assert "similar_incidents" not in [s["tool"] for s in plan.output["plan"]["steps"]]
