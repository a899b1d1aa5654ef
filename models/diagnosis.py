"""What sleuth answers: ranked causes with evidence, the rule chain, remediations and a trace."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.defaults import empty_list
from models.facts import Fact
from models.incident import TimeWindow
from models.workload import Subject

DiagnosisPath = Literal["rules", "llm", "inconclusive", "healthy"]
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
    facts: list[Evidence] = Field(default_factory=empty_list)


class Remediation(_Model):
    id: str
    title: str
    risk: Risk
    description: str = ""
    statements: list[str] = Field(
        default_factory=empty_list,
        description="SQL to consider for the blamed table or index; never executed",
    )


class CauseFinding(_Model):
    cause: str
    title: str = ""
    certainty: float = Field(ge=0.0, le=1.0)
    score: float = Field(default=0.0, description="ranking score: certainty combined with graph coverage")
    coverage: float = Field(default=0.0, ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=empty_list)
    rules: list[str] = Field(default_factory=empty_list)
    chain: list[RuleFiring] = Field(default_factory=empty_list)
    remediations: list[Remediation] = Field(default_factory=empty_list)
    subjects: list[Subject] = Field(
        default_factory=empty_list,
        description="the statements, tables and indexes blamed, with their numbers",
    )
    source: Literal["rules", "llm"] = "rules"
    window: TimeWindow | None = Field(
        default=None, description="the window this cause's evidence was measured on"
    )


class Deviation(_Model):
    """The largest departure from normal in a capture: one metric over one segment."""

    metric: str
    window: TimeWindow
    baseline: float
    anomaly: float
    score: float = Field(
        description="the segment's mean against the rest's, in the metric's sample-to-sample noise"
    )


class HealthCheck(_Model):
    """Whether any segment of the capture differs from the rest more than chance would make it."""

    healthy: bool
    method: str = Field(description="the statistic and how its null distribution was drawn")
    metrics: int = Field(ge=0, description="metrics tested")
    samples: int = Field(ge=0, description="samples tested per metric")
    statistic: float = Field(description="the strongest segment's joint shift")
    threshold: float = Field(description="the statistic's null quantile at the test's level")
    p_value: float = Field(ge=0.0, le=1.0)
    resamples: int = Field(ge=0)
    material: bool | None = Field(
        default=None,
        description=(
            "when significant: whether the segment moved what an incident moves (three metrics, one of "
            "the server's service (work, latency, concurrency, waits, errors) or of a resource near "
            "its limit); a significant departure that did not (a checkpoint, dirty pages flushed) is healthy"
        ),
    )
    strongest: Deviation | None = None


class SimilarIncident(_Model):
    """A past incident of the same engine whose signature is close to this one's, with what the DBA confirmed."""

    record: int = Field(description="its history record number (`sleuth history show N`)")
    incident: str
    similarity: float = Field(ge=-1.0, le=1.0, description="cosine similarity of the two signatures")
    causes: list[str] = Field(default_factory=empty_list, description="the causes the DBA confirmed")
    note: str = ""
    recorded_at: float | None = None


RuleStatus = Literal["fired", "failed", "disabled", "other engine"]
ConditionGroup = Literal["all", "any", "none"]


class CheckReport(_Model):
    """One comparison of a condition: the attribute tested, the test, the value it needs and the value seen."""

    field: str = Field(description="the fact's attribute, or `present` for whether any fact matched")
    op: str = Field(description="gt, gte, lt, lte, eq, ne, in or is")
    expected: float | bool | str | list[str]
    seen: float | bool | str | None = Field(
        default=None, description="None when the fact lacks the attribute"
    )
    passed: bool


class ConditionReport(_Model):
    """One condition of a rule judged against the facts: the nearest fact's tests and the values seen.

    A ``none`` condition passes when no fact matches it, so its ``failed_tests``
    are the tests that kept the nearest fact from matching.
    """

    group: ConditionGroup
    condition: str = Field(description="what the condition is about, e.g. `signal cpu_user`")
    passed: bool
    tests: list[str] = Field(default_factory=empty_list, description="every test with the value seen")
    failed_tests: list[str] = Field(default_factory=empty_list)
    checks: list[CheckReport] = Field(
        default_factory=empty_list,
        description="the same tests as data, for renderers that show values in units",
    )
    text: str = Field(default="", description="the nearest fact's own sentence")
    because: list[RuleReport] = Field(
        default_factory=empty_list,
        description="for a derived fact that did not hold: the rules that conclude it",
    )


class RuleReport(_Model):
    """One rule that could conclude the cause (or a fact it needs), and what stopped it."""

    rule: str
    title: str = ""
    pack: str = ""
    status: RuleStatus
    certainty: float = Field(description="the rule's own certainty factor")
    conditions: list[ConditionReport] = Field(default_factory=empty_list)
    failed: list[str] = Field(default_factory=empty_list, description="one phrase per condition that failed")


ConditionReport.model_rebuild()


class WhyNot(_Model):
    """Why a cause was not concluded: per rule, the conditions that failed with the values seen."""

    cause: str
    rules: list[RuleReport] = Field(default_factory=empty_list)
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
    causes: list[CauseFinding] = Field(default_factory=empty_list)
    window: TimeWindow | None = None
    window_inferred: bool = False
    windows: list[TimeWindow] = Field(
        default_factory=empty_list,
        description="every abnormal segment the causes were measured on, earliest first",
    )
    health: HealthCheck | None = Field(default=None, description="the test behind a `healthy` answer")
    signals: list[Fact] = Field(default_factory=empty_list)
    errors: list[str] = Field(default_factory=empty_list)
    elapsed_ms: float = 0.0
    trace: list[TraceEvent] = Field(default_factory=empty_list)
    labels: list[str] = Field(default_factory=empty_list)
    similar: list[SimilarIncident] = Field(
        default_factory=empty_list,
        description="confirmed past incidents most like this one, most similar first",
    )
    label_healthy: bool = False
