"""A backend that replays queued answers, so planner tests run without a model and exactly.

Tests queue what "the model" says and then read back the prompts it was shown,
the same way simonw/llm's mock model works. Running out of answers is an error,
not a silent default, so a test cannot pass by accident on an unexpected call.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from planner.backends.base import Choice, Completion, ModelCancelled, ModelError


@dataclass
class ScriptedCall:
    kind: str
    prompt: str
    options: list[str] = field(default_factory=list)
    grammar_schema: dict[str, Any] | None = None
    max_tokens: int = 0


class ScriptedModel:
    """Replays answers in order; a queued callable runs instead (to block, or to set events)."""

    name = "scripted"

    def __init__(self, answers: list[str | Callable[[str], str]] | None = None) -> None:
        self._answers: deque[str | Callable[[str], str]] = deque(answers or [])
        self.calls: list[ScriptedCall] = []
        self._lock = threading.Lock()

    def queue(self, *answers: str | Callable[[str], str]) -> ScriptedModel:
        self._answers.extend(answers)
        return self

    @property
    def pending(self) -> int:
        return len(self._answers)

    def _next(self, prompt: str) -> str:
        with self._lock:
            if not self._answers:
                raise ModelError(f"scripted model has no answer queued for call {len(self.calls)}")
            answer = self._answers.popleft()
        return answer(prompt) if callable(answer) else answer

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
        self.calls.append(
            ScriptedCall("complete", prompt, grammar_schema=grammar_schema, max_tokens=max_tokens)
        )
        text = self._next(prompt)
        if cancel is not None and cancel.is_set():
            raise ModelCancelled("cancelled")
        if on_token is not None:
            for piece in stream_pieces(text):
                if cancel is not None and cancel.is_set():
                    raise ModelCancelled("cancelled while streaming")
                on_token(piece)
        return Completion(
            text=text,
            prompt_tokens=_count_tokens(prompt),
            completion_tokens=_count_tokens(text),
            elapsed_ms=0.0,
        )

    def choose(self, prompt: str, options: list[str], *, cancel: threading.Event | None = None) -> Choice:
        self.calls.append(ScriptedCall("choose", prompt, options=list(options)))
        text = self._next(prompt)
        if cancel is not None and cancel.is_set():
            raise ModelCancelled("cancelled")
        scores = {o: (0.0 if o == text else -10.0) for o in options}
        return Choice(option=text, scores=scores, prompt_tokens=_count_tokens(prompt), completion_tokens=1)


def stream_pieces(text: str) -> list[str]:
    """Word by word (each with its trailing space), like a real model's tokens arrive.

    Deterministic, so tests can state the exact pieces; they concatenate to ``text``.
    """
    return re.findall(r"\S+\s*|\s+", text)


def _count_tokens(text: str) -> int:
    """A whitespace count: deterministic, so budget tests can state exact token totals."""
    return len(text.split())
