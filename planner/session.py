"""Every model call of an investigation goes through here: budget, cancellation, validation, trace.

Backends stay dumb; this one place guarantees that no call escapes the budget
or the trace, and that a ``choose`` answer outside the offered options (a
misbehaving backend or a scripted attack) is rejected rather than acted on.
It is also where an observer hears of model calls: completions stream to it
token by token, and every call that ends well is reported with its output (a
``choose`` decision has no stream, so that report is all there is of it).
"""

from __future__ import annotations

import time
from typing import Any

from models import TraceEvent
from planner.backends.base import Choice, Completion, Model, ModelError
from planner.budget import BudgetMeter
from planner.observer import NULL_OBSERVER, PlannerObserver
from planner.trace import TraceRecorder


class ModelSession:
    def __init__(
        self,
        model: Model,
        meter: BudgetMeter,
        trace: TraceRecorder,
        observer: PlannerObserver | None = None,
    ) -> None:
        self.model = model
        self.meter = meter
        self.trace = trace
        self.observer = observer

    def complete(
        self,
        purpose: str,
        prompt: str,
        *,
        max_tokens: int,
        grammar_schema: dict[str, Any] | None = None,
        stop: tuple[str, ...] = (),
    ) -> Completion:
        self.meter.take_model_call()
        max_tokens = max(1, min(max_tokens, self.meter.remaining_tokens()))
        started = self.trace.now_ms()
        t0 = time.perf_counter()
        observer = self.observer
        try:
            if observer is None:  # backends written before streaming need not know ``on_token``
                out = self.model.complete(
                    prompt,
                    max_tokens=max_tokens,
                    grammar_schema=grammar_schema,
                    stop=stop,
                    cancel=self.meter.cancel,
                )
            else:
                out = self.model.complete(
                    prompt,
                    max_tokens=max_tokens,
                    grammar_schema=grammar_schema,
                    stop=stop,
                    cancel=self.meter.cancel,
                    on_token=lambda text: observer.on_token(purpose, text),
                )
        except ModelError as exc:
            self._record_failure(f"{purpose}:complete", prompt, started, t0, exc)
            raise
        self._record_success(
            f"{purpose}:complete",
            started,
            t0,
            {"prompt": prompt, "max_tokens": max_tokens, "schema": grammar_schema, "model": self.model.name},
            out.text,
            out.prompt_tokens,
            out.completion_tokens,
        )
        if observer is not None:
            observer.on_model_call(purpose, "complete", out.text, ())
        return out

    def choose(self, purpose: str, prompt: str, options: list[str]) -> Choice:
        self.meter.take_model_call()
        started = self.trace.now_ms()
        t0 = time.perf_counter()
        try:
            out = self.model.choose(prompt, options, cancel=self.meter.cancel)
            if out.option not in options:
                raise ModelError(f"model chose {out.option[:60]!r}, which is not one of the options")
        except ModelError as exc:
            self._record_failure(f"{purpose}:choose", prompt, started, t0, exc)
            raise
        self._record_success(
            f"{purpose}:choose",
            started,
            t0,
            {"prompt": prompt, "options": options, "model": self.model.name},
            {"option": out.option, "scores": out.scores},
            out.prompt_tokens,
            out.completion_tokens,
        )
        (self.observer or NULL_OBSERVER).on_model_call(purpose, "choose", out.option, options)
        return out

    def _record_success(
        self,
        name: str,
        started: float,
        t0: float,
        given: dict[str, Any],
        output: Any,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        """Count the call's tokens against the budget and put it in the trace."""
        self.meter.add_tokens(prompt_tokens + completion_tokens)
        self.trace.record(
            TraceEvent(
                kind="model",
                name=name,
                started_ms=started,
                elapsed_ms=(time.perf_counter() - t0) * 1000.0,
                input=given,
                output=output,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        )

    def _record_failure(self, name: str, prompt: str, started: float, t0: float, exc: Exception) -> None:
        self.trace.record(
            TraceEvent(
                kind="model",
                name=name,
                started_ms=started,
                elapsed_ms=(time.perf_counter() - t0) * 1000.0,
                input={"prompt": prompt, "model": self.model.name},
                ok=False,
                error=str(exc),
            )
        )
