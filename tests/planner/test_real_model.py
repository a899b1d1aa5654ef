"""The one test that runs the bundled GGUF: only what a real model guarantees is checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import Plan
from planner.backends.llama import LlamaModel
from planner.config import BudgetLimits, PlannerConfig
from planner.evaluation import plan_note
from planner.plan import validate_plan
from planner.tools import default_registry
from sleuth import DiagnoseOptions, Settings, Sleuth

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "lock_contention-01.json"


@pytest.mark.model
def test_bundled_model_plans_runs_tools_and_concludes() -> None:
    """End to end through the service, as ``sleuth diagnose --rules none`` runs it: the configured
    (bundled, default) model is loaded by the service itself."""
    config = PlannerConfig(plan_size=2, threads=2, budget=BudgetLimits(model_calls=4, wall_s=120.0))
    app = Sleuth(Settings(planner=config))
    kg = app.graph
    dx = app.diagnose(app.load_incident(EXAMPLE), DiagnoseOptions(rules=("none",), llm="auto"))

    note = plan_note(dx)
    assert note is not None
    plan = Plan.model_validate(note["plan"])
    validate_plan(plan, default_registry())
    assert note["source"] == "model"
    assert set(note["chosen"]) <= set(note["offered"])

    # the model's words are free; the path follows from what was concluded, and every cause is the graph's
    assert dx.path == ("llm" if dx.causes else "inconclusive")
    assert {c.cause for c in dx.causes} <= set(kg.cause_ids())
    # the reflection proposes exactly the option the model chose, among those it was offered
    choice = next(e for e in dx.trace if (e.kind, e.name) == ("model", "reflect:choose"))
    assert choice.output["option"] in choice.input["options"]
    assert choice.input["options"][-1] == "inconclusive"
    assert set(choice.input["options"][:-1]) <= set(kg.cause_ids())
    reflection = next(e.output for e in dx.trace if (e.kind, e.name) == ("note", "reflection"))
    assert reflection["proposed"][0]["cause"] == choice.output["option"]

    model_calls = [e for e in dx.trace if e.kind == "model"]
    assert [e.name for e in model_calls] == ["plan:choose", "plan:choose", "reflect:choose"]
    assert all(e.ok and e.input["prompt"] and e.prompt_tokens and e.completion_tokens for e in model_calls)
    tools = [e for e in dx.trace if e.kind == "tool"]
    assert sorted(e.input["step"] for e in tools) == sorted(s.id for s in plan.steps)
    assert [e.name for e in dx.trace if e.kind == "rules"] == ["rules-with-planner-facts"]


@pytest.mark.model
def test_bundled_model_streams_the_same_constrained_text_in_pieces() -> None:
    model = LlamaModel(threads=2, seed=0)
    schema = {
        "type": "object",
        "properties": {
            "checks": {"type": "array", "items": {"enum": ["lock_waits", "top_sql"]}, "maxItems": 2}
        },
        "required": ["checks"],
    }
    pieces: list[str] = []
    streamed = model.complete("JSON:", max_tokens=30, grammar_schema=schema, on_token=pieces.append)
    whole = model.complete("JSON:", max_tokens=30, grammar_schema=schema)
    assert len(pieces) > 1 and "".join(pieces) == streamed.text == whole.text
    assert streamed.prompt_tokens == whole.prompt_tokens
    # the streamed count may include the end-of-generation token the non-streaming usage leaves out
    assert streamed.completion_tokens - whole.completion_tokens in (0, 1)
