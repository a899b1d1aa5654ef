"""How to diagnose: the options every entry point passes the service, frozen so they key caches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LlmMode = Literal["auto", "never", "always"]
NO_RULES = "none"


@dataclass(frozen=True)
class DiagnoseOptions:
    """``rules`` is ``None`` for the configured packs, ``("none",)`` for no rules, else paths."""

    rules: tuple[str, ...] | None = None
    infer_window: bool = False
    disabled_rules: frozenset[str] = frozenset()
    llm: LlmMode = "never"
    model: str | None = None

    @property
    def no_rules(self) -> bool:
        return self.rules == (NO_RULES,)
