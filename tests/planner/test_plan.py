from __future__ import annotations

import json

import pytest

from models import Fact, Plan, PlanStep
from planner.backends.scripted import ScriptedModel
from planner.plan import Hypotheses, PlanError, Planner, build_plan, hypotheses, parse_choice, validate_plan
from planner.tools import default_registry
from rules.signals import extract_signals
from tests.planner.fakes import CHECKS, KG, incident
from tests.planner.helpers import config, session

PREFIX = "HEADER\n"


def hyp() -> Hypotheses:
    return hypotheses(KG, extract_signals(incident(), KG).facts, max_candidates=6)


def planner(model: ScriptedModel, **kw: object) -> Planner:
    return Planner(session(model), default_registry(), KG, config(**kw))


def test_hypotheses_are_the_candidates_of_the_observed_symptoms() -> None:
    h = hyp()
    assert h.symptoms == ["cpu_high", "latency_high"]
    # CPU saturation produces both; lock contention and IO saturation only latency (0.7 > 0.6)
    assert h.causes == ["cpu_saturation", "lock_contention", "io_saturation"]


def test_hypotheses_fall_back_to_every_cause_when_nothing_was_observed() -> None:
    h = hypotheses(KG, [], max_candidates=2)
    assert (
        h.causes
        == KG.cause_ids()
        == [
            "cpu_saturation",
            "io_saturation",
            "lock_contention",
            "missing_index",
            "workload_spike",
        ]
    )


def test_model_failure_after_some_picks_keeps_them() -> None:
    model = ScriptedModel(["lock_waits", "compare_window_cpu_user"])
    out = planner(model, plan_size=3, max_checks=4).propose(hyp(), PREFIX)
    assert out.source == "model"
    # each compare or lock check confirms one candidate; the heaviest SQL cannot tell CPU from IO
    assert out.offered == [
        "compare_window_cpu_user",
        "compare_window_disk_read",
        "lock_waits",
        "top_sql_total_time",
    ]
    assert out.chosen == ["lock_waits", "compare_window_cpu_user"]
    assert out.errors == ["planner: stopped after 2 picks: scripted model has no answer queued for call 3"]


def test_choose_strategy_asks_once_per_pick_with_the_remaining_options() -> None:
    model = ScriptedModel(["lock_waits", "compare_window_cpu_user", "top_sql_total_time"])
    out = planner(model, plan_size=3, max_checks=4).propose(hyp(), PREFIX)
    assert out.chosen == ["lock_waits", "compare_window_cpu_user", "top_sql_total_time"]
    assert [c.options for c in model.calls] == [
        ["compare_window_cpu_user", "compare_window_disk_read", "lock_waits", "top_sql_total_time"],
        ["compare_window_cpu_user", "compare_window_disk_read", "top_sql_total_time"],
        ["compare_window_disk_read", "top_sql_total_time"],
    ]
    assert all(c.prompt.startswith(PREFIX) for c in model.calls)
    assert model.calls[2].prompt.endswith("Check 1: lock_waits\nCheck 2: compare_window_cpu_user\nCheck 3:")
    steps = [(s.id, s.tool, s.args, s.depends_on) for s in out.plan.steps]
    assert steps == [
        ("s1", "lock_waits", {}, []),
        ("s2", "compare_window", {"metric": "cpu_user"}, []),
        ("s3", "top_sql", {"order_by": "total_time"}, []),
        ("s4", "correlated_metrics", {"metric": "cpu_user"}, ["s2"]),
    ]
    assert out.first_layer == ["lock_waits", "compare_window_cpu_user", "top_sql_total_time"]


def test_json_strategy_uses_a_schema_whose_enum_is_the_offered_checks() -> None:
    model = ScriptedModel(['{"checks": ["compare_window_disk_read", "lock_waits"]}'])
    out = planner(model, strategy="json", plan_size=2, max_checks=4).propose(hyp(), PREFIX)
    assert (out.source, out.chosen) == ("model", ["compare_window_disk_read", "lock_waits"])
    schema = model.calls[0].grammar_schema
    assert schema is not None
    assert schema["properties"]["checks"]["items"]["enum"] == out.offered
    assert schema["properties"]["checks"]["maxItems"] == 2


def test_invalid_answer_gets_one_repair_attempt() -> None:
    model = ScriptedModel(['{"checks": ["drop_table"]}', '{"checks": ["lock_waits"]}'])
    out = planner(model, strategy="json", plan_size=2).propose(hyp(), PREFIX)
    assert (out.source, out.chosen) == ("repaired", ["lock_waits"])
    assert out.errors == ["plan answer invalid: unknown check 'drop_table'"]
    assert "The previous answer was invalid (unknown check 'drop_table')" in model.calls[1].prompt
    assert len(model.calls) == 2


def test_two_invalid_answers_fall_back_to_the_graphs_best_checks() -> None:
    model = ScriptedModel(["not json", '{"steps": []}'])
    out = planner(model, strategy="json", plan_size=2).propose(hyp(), PREFIX)
    assert out.source == "graph"
    assert out.chosen == ["compare_window_cpu_user", "compare_window_disk_read"]
    assert [s.tool for s in out.plan.steps] == ["compare_window", "compare_window", "correlated_metrics"]
    assert len(out.errors) == 2


def test_model_failure_falls_back_to_the_graph() -> None:
    model = ScriptedModel([])  # no answers: every call fails
    out = planner(model, plan_size=2).propose(hyp(), PREFIX)
    assert out.source == "graph"
    assert out.errors == ["planner: scripted model has no answer queued for call 1"]


def test_choice_outside_the_options_is_rejected_not_planned() -> None:
    model = ScriptedModel(["drop_table"])
    out = planner(model, plan_size=2).propose(hyp(), PREFIX)
    assert out.source == "graph"
    assert {s.tool for s in out.plan.steps} <= set(default_registry().names())
    assert "'drop_table', which is not one of the options" in out.errors[0]


def test_parse_choice_dedupes_and_truncates() -> None:
    text = json.dumps(
        {"checks": ["lock_waits", "lock_waits", "top_sql_total_time", "compare_window_cpu_user"]}
    )
    assert parse_choice(text, list(CHECKS), 2) == ["lock_waits", "top_sql_total_time"]
    with pytest.raises(PlanError, match="not the expected JSON"):
        parse_choice('{"checks": []}', list(CHECKS), 2)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([PlanStep(id="s1", tool="drop_table")], "step s1: unknown tool 'drop_table'"),
        ([PlanStep(id="s1", tool="top_sql", args={"order_by": "x"})], "step s1: top_sql: order_by"),
        ([PlanStep(id="s1", tool="lock_waits", depends_on=["s9"])], "step s1 depends on unknown step 's9'"),
        ([PlanStep(id="s1", tool="lock_waits", depends_on=["s1"])], "dependency cycle: s1"),
        (
            [
                PlanStep(id="s1", tool="lock_waits", depends_on=["s2"]),
                PlanStep(id="s2", tool="kg_candidates", depends_on=["s1"]),
            ],
            "dependency cycle: s1 -> s2",
        ),
        ([PlanStep(id="s1", tool="lock_waits"), PlanStep(id="s1", tool="lock_waits")], "duplicate step ids"),
    ],
)
def test_validate_plan_rejects(steps: list[PlanStep], message: str) -> None:
    with pytest.raises(PlanError) as err:
        validate_plan(Plan(steps=steps), default_registry())
    assert str(err.value).startswith(message)


def test_build_plan_without_metric_checks_has_one_layer() -> None:
    plan = build_plan([CHECKS["lock_waits"], CHECKS["top_sql_total_time"]], "r")
    assert [s.depends_on for s in plan.steps] == [[], []]


def test_hypotheses_offer_only_causes_of_the_incidents_engine() -> None:
    from knowledge_graph import load_default_graph
    from planner.plan import hypotheses

    kg = load_default_graph()
    cpu = Fact(
        kind="signal",
        name="cpu_user",
        attrs={"direction": "up", "confidence": 0.99, "ratio": 3.0, "score": 20.0, "shape": "level_shift"},
    )
    pg = hypotheses(kg, [cpu], max_candidates=50, engine="postgres")
    my = hypotheses(kg, [cpu], max_candidates=50, engine="mysql")
    assert pg.causes and my.causes
    assert set(pg.causes) <= set(kg.cause_ids("postgres"))
    assert "flush_log_table" not in pg.causes  # an InnoDB log flush cannot happen on PostgreSQL
    nothing = hypotheses(kg, [], max_candidates=50, engine="mysql")
    assert "dead_tuples_vacuum" not in nothing.causes and "flush_log_table" in nothing.causes


def test_checks_of_metrics_the_incident_lacks_are_not_offered() -> None:
    hyp = Hypotheses(
        symptoms=[],
        candidates=[("cpu_saturation", 0.5), ("io_saturation", 0.5), ("lock_contention", 0.5)],
        measurable=frozenset({"cpu_user"}),
    )
    planner = Planner(session(ScriptedModel([])), default_registry(), KG, config())
    offered = [c.id for c in planner.offered_checks(hyp)]
    assert "compare_window_disk_read" not in offered  # no disk_read series: it could only fail
    assert "compare_window_cpu_user" in offered
    assert "lock_waits" in offered  # reads lock snapshots, not a series
    everything = Hypotheses(symptoms=[], candidates=hyp.candidates)
    assert "compare_window_disk_read" in [c.id for c in planner.offered_checks(everything)]
