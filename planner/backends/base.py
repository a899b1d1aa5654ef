"""The one model abstraction the planner talks to, so backends are interchangeable.

Two operations cover everything the planner asks of a model: ``complete`` for
text (optionally held to a JSON schema by the backend's grammar) and ``choose``
for a decision among known options. ``choose`` exists separately because a
small base model picks better, and faster, when it scores the options than when
it writes one out; backends that cannot score options fall back to
constrained generation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class ModelError(RuntimeError):
    """A backend failed (transport, decoding, bad response); the planner records it and degrades."""


class ModelCancelled(ModelError):
    """The caller's cancel event was set while the model was working."""


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    elapsed_ms: float


@dataclass(frozen=True)
class Choice:
    """The chosen option and the options' scores (log-likelihood, higher is better).

    A backend that only picks (constrained generation) scores the pick alone;
    consumers treat a missing option as impossible.
    """

    option: str
    scores: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    elapsed_ms: float = 0.0


@runtime_checkable
class Model(Protocol):
    """What every backend implements; ``name`` identifies it in traces."""

    name: str

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
        """``on_token``, when given, receives the text as it is produced, in pieces that
        concatenate to ``Completion.text``, so a watcher sees a slow model working."""
        ...

    def choose(
        self,
        prompt: str,
        options: list[str],
        *,
        cancel: threading.Event | None = None,
    ) -> Choice: ...
