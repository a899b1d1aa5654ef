"""Budgets: the caller's hard ceiling on what one investigation may spend.

The meter is shared by the executor's worker threads and the model session, so
it is locked; it raises instead of returning flags so no caller can forget to
check. Cancellation is the caller's ``threading.Event``, checked at the same
points as the budget.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from planner.config import BudgetLimits


class BudgetExceeded(RuntimeError):
    def __init__(self, resource: str, limit: float) -> None:
        super().__init__(f"budget exhausted: {resource} (limit {limit:g})")
        self.resource = resource


class Cancelled(RuntimeError):
    """The caller asked to stop."""


@dataclass
class Usage:
    steps: int = 0
    model_calls: int = 0
    tokens: int = 0


class BudgetMeter:
    def __init__(
        self,
        limits: BudgetLimits,
        cancel: threading.Event | None = None,
    ) -> None:
        self.limits = limits.model_copy()
        self.cancel = cancel or threading.Event()
        self.used = Usage()
        self.exhausted: str | None = None
        self._lock = threading.Lock()
        self._started = time.perf_counter()

    def figures(self) -> dict[str, Any]:
        """Limits, what was spent and what ran out, for the trace: a budget nobody can audit is a guess."""
        with self._lock:
            used = asdict(self.used)
        return {
            "limits": self.limits.model_dump(),
            "used": {**used, "wall_s": round(self.elapsed_s(), 3)},
            "exhausted": self.exhausted,
            "cancelled": self.cancel.is_set(),
        }

    def _exceeded(self, resource: str, limit: float) -> BudgetExceeded:
        self.exhausted = self.exhausted or resource
        return BudgetExceeded(resource, limit)

    def elapsed_s(self) -> float:
        return time.perf_counter() - self._started

    def remaining_s(self) -> float:
        return max(0.0, self.limits.wall_s - self.elapsed_s())

    def remaining_tokens(self) -> int:
        with self._lock:
            return max(0, self.limits.tokens - self.used.tokens)

    def check(self) -> None:
        """Raise when cancelled or out of wall time; called between steps and before model calls."""
        if self.cancel.is_set():
            raise Cancelled("cancelled by the caller")
        if self.elapsed_s() >= self.limits.wall_s:
            raise self._exceeded("wall time", self.limits.wall_s)

    def take_step(self) -> None:
        self.check()
        with self._lock:
            if self.used.steps >= self.limits.steps:
                raise self._exceeded("steps", self.limits.steps)
            self.used.steps += 1

    def take_model_call(self) -> None:
        self.check()
        with self._lock:
            if self.used.model_calls >= self.limits.model_calls:
                raise self._exceeded("model calls", self.limits.model_calls)
            if self.used.tokens >= self.limits.tokens:
                raise self._exceeded("tokens", self.limits.tokens)
            self.used.model_calls += 1

    def add_tokens(self, n: int) -> None:
        with self._lock:
            self.used.tokens += n
