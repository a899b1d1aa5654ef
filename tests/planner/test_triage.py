from __future__ import annotations

import threading
from pathlib import Path

import pytest

from models import CauseFinding, Diagnosis
from planner.backends.base import Model
from planner.backends.scripted import ScriptedModel
from planner.config import BudgetLimits, PlannerConfig
from planner.trace import read_jsonl, write_jsonl
from planner.triage import Investigation, diagnose, needs_planner
from rules import observations
from tests.planner.fakes import KG, ScriptedRules, incident, series
from tests.planner.helpers import config

CPU_FIRST = ["compare_window_cpu_user", "lock_waits"]


def run(
    answers: list[str],
    causes: dict[str, float] | None = None,
    with_facts: dict[str, float] | None = None,
    cfg: PlannerConfig | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Diagnosis, ScriptedModel, ScriptedRules]:
    inc = incident()
    rules = ScriptedRules(inc, causes or {}, with_facts)
    model = ScriptedModel(list(answers))
    cfg = cfg or config(plan_size=2)
    dx = diagnose(inc, graph=KG, run_rules=rules, model_factory=lambda: model, config=cfg, cancel=cancel)
    return dx, model, rules


def no_model() -> Model:
    raise AssertionError("the model must not be created")


def test_confident_rules_answer_alone() -> None:
    inc = incident()
    rules = ScriptedRules(inc, {"cpu_saturation": 0.9})
    dx = diagnose(inc, graph=KG, run_rules=rules, model_factory=no_model, config=config())
    assert dx.path == "rules"
    assert [c.cause for c in dx.causes] == ["cpu_saturation"]
    assert dx.trace[-1].output == {"mode": "auto", "reason": "rules concluded cpu_saturation (0.90)"}
    assert len(rules.calls) == 1


def test_never_mode_returns_the_rules_even_when_they_found_nothing() -> None:
    inc = incident()
    dx = diagnose(
        inc,
        graph=KG,
        run_rules=ScriptedRules(inc, {}),
        model_factory=no_model,
        config=config(mode="never"),
    )
    assert (dx.path, dx.causes) == ("inconclusive", [])


def test_fallback_plans_runs_tools_reruns_rules_and_concludes(monkeypatch: pytest.MonkeyPatch) -> None:
    # the rules' pipeline sees the incident's own observations; the planner must not feed them again
    monkeypatch.setattr("planner.triage.incident_observations", lambda inc: observations.observe(inc))
    dx, model, rules = run([*CPU_FIRST, "cpu_saturation"])
    assert dx.path == "llm"
    assert [(c.cause, c.source) for c in dx.causes] == [("cpu_saturation", "llm")]
    # the model's probability (scripted scores 0 vs -10 -> 0.99986) times its certainty factor 0.5
    assert dx.causes[0].certainty == pytest.approx(0.99986 * 0.5, abs=1e-4)
    assert dx.causes[0].remediations[0].id == "fix_cpu_saturation"
    # evidence: the rules' signals (s0) and the tool facts that show a symptom of the cause
    assert [(e.name, e.source) for e in dx.causes[0].evidence] == [
        ("cpu_user", "signals: cpu_user (core #1), cpu_user (core #2)"),
        ("latency", "signals: latency"),
        ("cpu_user", "s1"),
        ("cpu_high", "s1"),
    ]
    assert [c.kind for c in model.calls] == ["choose", "choose", "choose"]
    assert model.calls[2].options == ["cpu_saturation", "lock_contention", "io_saturation", "inconclusive"]
    # the rules ran twice: first alone, then with what the tools found that they had not seen
    assert len(rules.calls) == 2
    assert sorted(f.name for f in rules.calls[1]) == ["cpu_high", "metric_correlation"]
    kinds = [(e.kind, e.name) for e in dx.trace]
    assert kinds[:4] == [
        ("note", "triage"),
        ("model", "plan:choose"),
        ("model", "plan:choose"),
        ("note", "plan"),
    ]
    # the first layer runs in parallel, so its two tools finish in either order
    assert sorted(kinds[4:6]) == [("tool", "compare_window"), ("tool", "lock_waits")]
    assert kinds[6:] == [
        ("tool", "correlated_metrics"),
        ("rules", "rules-with-planner-facts"),
        ("model", "reflect:choose"),
        ("note", "reflection"),
        ("note", "budget"),
    ]
    budget = dx.trace[-1].output
    assert budget["used"]["model_calls"] == 3 and budget["limits"]["model_calls"] >= 3
    assert (budget["exhausted"], budget["cancelled"]) == (None, False)


def test_conclusion_citing_results_that_do_not_show_its_symptoms_is_dropped() -> None:
    plan = '{"checks": ["compare_window_cpu_user", "lock_waits"]}'
    # s1 (cpu) shows cpu_high, s2 (a blocker) lock_waits_high; io_saturation produces neither
    answer = '{"cause": "io_saturation", "certainty": "high", "refs": ["s1", "s2"]}'
    dx, model, _ = run([plan, answer], cfg=config(strategy="json", plan_size=2))
    assert (dx.path, dx.causes) == ("inconclusive", [])
    (note,) = [e for e in dx.trace if e.kind == "note" and e.name == "reflection"]
    assert note.output["dropped"] == ["io_saturation: no cited result shows one of its symptoms"]
    assert not any("dropped" in e for e in dx.errors)
    schema = model.calls[1].grammar_schema
    assert schema is not None
    assert schema["properties"]["refs"]["items"]["enum"] == ["s0", "s1", "s2", "s3"]
    assert schema["properties"]["cause"]["enum"] == [
        "cpu_saturation",
        "lock_contention",
        "io_saturation",
        "inconclusive",
    ]


def test_json_conclusion_citing_its_evidence_is_kept() -> None:
    plan = '{"checks": ["compare_window_cpu_user", "lock_waits"]}'
    answer = '{"cause": "cpu_saturation", "certainty": "medium", "refs": ["s1", "s1", "s9"]}'
    dx, _, _ = run([plan, answer], cfg=config(strategy="json", plan_size=2))
    assert [(c.cause, c.certainty, c.source) for c in dx.causes] == [("cpu_saturation", 0.6 * 0.5, "llm")]
    assert [(e.kind, e.name, e.source) for e in dx.causes[0].evidence] == [
        ("signal", "cpu_user", "s1"),
        ("observation", "cpu_high", "s1"),
    ]


def test_model_may_say_inconclusive() -> None:
    dx, _, _ = run([*CPU_FIRST, "inconclusive"])
    assert (dx.path, dx.causes) == ("inconclusive", [])


def test_a_rule_concluding_on_planner_facts_merges_with_the_model() -> None:
    dx, _, _ = run([*CPU_FIRST, "inconclusive"], with_facts={"cpu_saturation": 0.5})
    # the model concluded nothing; a rule concluded on the facts the planner found
    assert [(c.cause, c.source, c.certainty) for c in dx.causes] == [("cpu_saturation", "rules", 0.5)]
    assert dx.path == "llm"


def test_rules_and_model_certainties_combine_like_mycin() -> None:
    dx, _, _ = run([*CPU_FIRST, "cpu_saturation"], with_facts={"cpu_saturation": 0.5})
    assert dx.causes[0].certainty == pytest.approx(0.5 + 0.99986 * 0.5 * (1 - 0.5), abs=1e-4)


def test_a_trusted_model_counts_fully() -> None:
    dx, _, _ = run([*CPU_FIRST, "cpu_saturation"], cfg=config(plan_size=2, model_certainty_factor=1.0))
    assert dx.causes[0].certainty == pytest.approx(0.99986, abs=1e-4)


def test_always_mode_runs_after_confident_rules_and_keeps_their_answer_for_comparison() -> None:
    dx, _, _ = run(
        [*CPU_FIRST, "cpu_saturation"],
        causes={"cpu_saturation": 0.95},
        cfg=config(mode="always", plan_size=2),
    )
    assert dx.path == "llm"
    assert dx.trace[0].output["rules_only"] == [{"cause": "cpu_saturation", "certainty": 0.95}]


def test_model_call_budget_ends_reflection_but_not_the_diagnosis() -> None:
    cfg = config(plan_size=2, budget=BudgetLimits(model_calls=2))
    dx, model, _ = run([*CPU_FIRST, "cpu_saturation"], with_facts={"cpu_saturation": 0.5}, cfg=cfg)
    assert model.pending == 1
    assert "reflection: budget exhausted: model calls (limit 2)" in dx.errors
    assert [(c.cause, c.source) for c in dx.causes] == [("cpu_saturation", "rules")]


def test_exhausted_wall_time_still_returns_a_diagnosis() -> None:
    cfg = config(plan_size=2, budget=BudgetLimits(wall_s=1e-9))
    dx, model, rules = run([*CPU_FIRST, "cpu_saturation"], with_facts={"cpu_saturation": 0.5}, cfg=cfg)
    assert model.calls == []
    assert dx.errors == [
        "planner: budget exhausted: wall time (limit 1e-09)",
        "executor stopped: budget exhausted: wall time (limit 1e-09)",
        "reflection: budget exhausted: wall time (limit 1e-09)",
    ]
    # no tool ran, so the rules' second run saw no new facts and the first answer stands
    assert rules.calls == [[], []]
    assert (dx.path, dx.causes) == ("inconclusive", [])


def test_cancelled_before_planning_returns_the_rules_answer() -> None:
    cancel = threading.Event()
    cancel.set()
    dx, model, _ = run([*CPU_FIRST, "cpu_saturation"], causes={"io_saturation": 0.2}, cancel=cancel)
    assert dx.path == "rules"
    assert [c.cause for c in dx.causes] == ["io_saturation"]
    assert dx.errors == ["planner: cancelled by the caller"]
    assert model.calls == []


def test_trace_round_trips_through_jsonl(tmp_path: Path) -> None:
    dx, _, _ = run([*CPU_FIRST, "cpu_saturation"])
    path = tmp_path / "trace.jsonl"
    assert write_jsonl(path, dx.trace) == len(dx.trace) == len(path.read_text().splitlines())
    assert read_jsonl(path) == dx.trace
    model_events = [e for e in dx.trace if e.kind == "model"]
    assert all(
        e.input["prompt"] and e.output and e.prompt_tokens and e.completion_tokens for e in model_events
    )
    assert all(e.output["summary"] for e in dx.trace if e.kind == "tool")


def test_needs_planner_when_rules_are_unsure() -> None:
    dx = Diagnosis(incident="x", path="rules", causes=[CauseFinding(cause="cpu_saturation", certainty=0.4)])
    verdict = needs_planner(dx, KG, PlannerConfig())
    assert (verdict.needed, verdict.reason) == (True, "best rule certainty 0.40 < 0.60")


def _two(a: tuple[str, float], b: tuple[str, float], lock_waits_up: bool) -> Diagnosis:
    inc = incident(
        metrics=[
            series("cpu_user", 10.0, 90.0),
            series("latency", 5.0, 20.0),
            series("row_lock_waits", 1.0, 30.0 if lock_waits_up else 1.0),
        ]
    )
    base = ScriptedRules(inc, {})([])
    return base.model_copy(update={"causes": [CauseFinding(cause=c, certainty=v) for c, v in (a, b)]})


def test_close_alternatives_are_contradictory() -> None:
    dx = _two(("cpu_saturation", 0.8), ("io_saturation", 0.75), lock_waits_up=False)
    verdict = needs_planner(dx, KG, PlannerConfig())
    assert verdict.needed
    assert verdict.reason == (
        "contradictory: cpu_saturation (0.80) and io_saturation (0.75) explain the same symptoms"
    )


def test_close_causes_explaining_different_symptoms_are_a_compound_incident() -> None:
    dx = _two(("cpu_saturation", 0.8), ("lock_contention", 0.78), lock_waits_up=True)
    assert not needs_planner(dx, KG, PlannerConfig()).needed


def test_distant_alternatives_are_not_contradictory() -> None:
    dx = _two(("cpu_saturation", 0.9), ("io_saturation", 0.6), lock_waits_up=False)
    assert not needs_planner(dx, KG, PlannerConfig()).needed


def test_investigation_can_run_directly_on_a_rules_diagnosis() -> None:
    inc = incident()
    rules = ScriptedRules(inc, {})
    model = ScriptedModel([*CPU_FIRST, "cpu_saturation"])
    dx = Investigation(inc, KG, model, config(plan_size=2), rules).run(rules([]))
    assert dx.path == "llm"
