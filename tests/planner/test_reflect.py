from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from models import ToolResult
from planner.backends.base import Choice, Completion
from planner.plan import Hypotheses
from planner.reflect import Reflector, supporting_steps
from rules.signals import extract_signals
from tests.planner.fakes import KG, incident
from tests.planner.helpers import config, session


class PickOnly:
    """A backend that, like grammar-constrained generation, scores only the option it picked."""

    name = "pick-only"

    def __init__(self, pick: str) -> None:
        self.pick = pick

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        grammar_schema: dict[str, Any] | None = None,
        stop: tuple[str, ...] = (),
        cancel: threading.Event | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        raise AssertionError("reflection by choice must not generate text")

    def choose(self, prompt: str, options: list[str], *, cancel: threading.Event | None = None) -> Choice:
        return Choice(option=self.pick, scores={self.pick: 0.0}, prompt_tokens=3, completion_tokens=2)


def signals_step() -> ToolResult:
    facts = extract_signals(incident(), KG).facts
    return ToolResult(step="s0", tool="signals", ok=True, summary="cpu up", facts=facts)


HYP = Hypotheses(
    symptoms=["cpu_high", "latency_high"], candidates=[("cpu_saturation", 1.0), ("io_saturation", 0.5)]
)


def test_a_pick_without_scores_is_one_certain_conclusion() -> None:
    reflector = Reflector(session(PickOnly("cpu_saturation")), KG, config())
    out = reflector.reflect("P\n", HYP, [signals_step()])
    assert [(c.cause, c.certainty, c.refs) for c in out.accepted] == [("cpu_saturation", 1.0, ["s0"])]
    assert out.errors == []


def test_supporting_steps_are_those_showing_a_symptom_of_the_cause() -> None:
    failed = ToolResult(step="s1", tool="lock_waits", ok=False, error="x")
    assert supporting_steps(KG, "cpu_saturation", [signals_step(), failed]) == ["s0"]
    assert supporting_steps(KG, "lock_contention", [failed]) == []
