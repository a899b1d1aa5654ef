from __future__ import annotations

import threading

import pytest

from planner.backends.scripted import ScriptedModel
from planner.budget import BudgetExceeded, Cancelled
from planner.config import BudgetLimits
from tests.planner.helpers import session


def test_tokens_are_counted_and_max_tokens_is_capped_by_what_is_left() -> None:
    model = ScriptedModel(["one two", "three"])
    s = session(model, BudgetLimits(tokens=10))
    s.complete("plan", "a b c d", max_tokens=50)  # 4 prompt + 2 completion
    assert s.meter.used.tokens == 6
    s.complete("plan", "e", max_tokens=50)
    assert model.calls[1].max_tokens == 4
    assert s.meter.used.tokens == 8


def test_token_budget_refuses_the_next_call() -> None:
    s = session(ScriptedModel(["x " * 20, "y"]), BudgetLimits(tokens=10))
    s.complete("plan", "p", max_tokens=50)
    with pytest.raises(BudgetExceeded, match=r"budget exhausted: tokens \(limit 10\)"):
        s.complete("plan", "p", max_tokens=50)


def test_model_call_budget() -> None:
    s = session(ScriptedModel(["a", "b"]), BudgetLimits(model_calls=1))
    s.choose("plan", "p", ["a", "b"])
    with pytest.raises(BudgetExceeded, match=r"model calls \(limit 1\)"):
        s.choose("plan", "p", ["a", "b"])


def test_wall_time_budget() -> None:
    s = session(ScriptedModel(["a"]), BudgetLimits(wall_s=1e-9))
    with pytest.raises(BudgetExceeded, match="wall time"):
        s.choose("plan", "p", ["a"])


def test_cancel_refuses_calls_and_stops_a_running_one() -> None:
    cancel = threading.Event()

    def cancel_and_answer(_prompt: str) -> str:
        cancel.set()
        return "a"

    s = session(ScriptedModel([cancel_and_answer, "b"]), cancel=cancel)
    with pytest.raises(Exception, match="cancelled"):
        s.choose("plan", "p", ["a", "b"])
    with pytest.raises(Cancelled):
        s.choose("plan", "p", ["a", "b"])
    assert [e.ok for e in s.trace.events] == [False]


def test_every_call_is_traced_with_prompt_output_and_tokens() -> None:
    s = session(ScriptedModel(['{"a": 1}', "b"]))
    s.complete("plan", "p q", max_tokens=5, grammar_schema={"type": "object"})
    s.choose("reflect", "r", ["a", "b"])
    (first, second) = s.trace.events
    assert (
        first.name,
        first.input["prompt"],
        first.output,
        first.prompt_tokens,
        first.completion_tokens,
    ) == (
        "plan:complete",
        "p q",
        '{"a": 1}',
        2,
        2,
    )
    assert first.input["schema"] == {"type": "object"}
    assert (second.name, second.output["option"], second.input["options"]) == (
        "reflect:choose",
        "b",
        ["a", "b"],
    )
