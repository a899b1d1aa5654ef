"""Plans the planner proposes and the results its read-only tools return."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.defaults import empty_list
from models.facts import Fact


class PlanStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^s[0-9]+$")
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=empty_list)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[PlanStep] = Field(min_length=1, max_length=12)
    rationale: str = ""


class ToolResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: str
    tool: str
    ok: bool
    summary: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    facts: list[Fact] = Field(default_factory=empty_list)
    elapsed_ms: float = 0.0
    error: str | None = None
