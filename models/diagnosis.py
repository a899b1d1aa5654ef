"""What sleuth answers: ranked causes with evidence, the rule chain, remediations and a trace."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.facts import Fact
from models.incident import TimeWindow

DiagnosisPath = Literal["rules", "llm", "inconclusive"]
Risk = Literal["low", "medium", "high"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    """A fact a conclusion rests on, with the numbers seen."""

    kind: str
    name: str
    values: dict[str, float | str | bool] = Field(default_factory=dict)
    text: str = ""
    source: str = ""


class RuleFiring(_Model):
    """One step of the HOW chain: a rule, the facts it matched, and what it concluded."""

    rule: str
    pack: str = ""
    concludes: str
    conclusion_kind: Literal["cause", "fact"]
    premise: float
    certainty: float
    facts: list[Evidence] = Field(default_factory=list)


class Remediation(_Model):
    id: str
    title: str
    risk: Risk
    description: str = ""


class CauseFinding(_Model):
    cause: str
    title: str = ""
    certainty: float = Field(ge=0.0, le=1.0)
    score: float = Field(default=0.0, description="ranking score: certainty combined with graph coverage")
    coverage: float = Field(default=0.0, ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    chain: list[RuleFiring] = Field(default_factory=list)
    remediations: list[Remediation] = Field(default_factory=list)
    source: Literal["rules", "llm"] = "rules"


class WhyNot(_Model):
    """Why a cause was not concluded: per rule, the conditions that failed with the values seen."""

    cause: str
    rules: list[dict[str, Any]] = Field(default_factory=list)
    summary: str = ""


class TraceEvent(_Model):
    """One model or tool call, as written by ``sleuth diagnose --trace``."""

    kind: Literal["model", "tool", "rules", "note"]
    name: str
    started_ms: float = 0.0
    elapsed_ms: float = 0.0
    input: Any = None
    output: Any = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ok: bool = True
    error: str | None = None


class Diagnosis(_Model):
    incident: str
    title: str = ""
    path: DiagnosisPath
    causes: list[CauseFinding] = Field(default_factory=list)
    window: TimeWindow | None = None
    window_inferred: bool = False
    signals: list[Fact] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    elapsed_ms: float = 0.0
    trace: list[TraceEvent] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
