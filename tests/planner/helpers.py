"""Wiring shared by the planner tests: a session over a scripted model with a fresh budget and trace."""

from __future__ import annotations

import threading

from planner.backends.base import Model
from planner.budget import BudgetMeter
from planner.config import BudgetLimits, PlannerConfig
from planner.session import ModelSession
from planner.trace import TraceRecorder


def session(
    model: Model, limits: BudgetLimits | None = None, cancel: threading.Event | None = None
) -> ModelSession:
    return ModelSession(model, BudgetMeter(limits or BudgetLimits(), cancel), TraceRecorder())


def config(**kw: object) -> PlannerConfig:
    return PlannerConfig.model_validate({"backend": "scripted", **kw})
