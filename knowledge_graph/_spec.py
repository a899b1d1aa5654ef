"""The authoring-file format, as pydantic models: one place that says what a file may contain.

Every file may hold any of the sections, so a concern (MySQL causes, managed
causes, live-database aliases) can live in a file of its own; the sections are
merged across files and a node id may be defined only once.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.rulespec import NumTest

Aggregate = Literal["mean", "sum", "max"]
Direction = Literal["up", "down"]
Risk = Literal["low", "medium", "high"]
EngineName = Literal["mysql", "mariadb", "postgres"]

NODE_ID = r"^[a-z][a-z0-9_]*$"

# The planner's read-only tools (``planner.tools.registry`` registers exactly these); a check names one.
Tool = Literal[
    "metric_summary",
    "compare_window",
    "correlated_metrics",
    "top_sql",
    "lock_waits",
    "events_in_window",
    "settings",
    "kg_candidates",
    "kg_best_checks",
]
TOOLS: tuple[str, ...] = get_args(Tool)
METRIC_TOOLS: frozenset[str] = frozenset({"metric_summary", "compare_window", "correlated_metrics"})
TOP_SQL_ORDERS: frozenset[str] = frozenset({"total_time", "calls", "rows_examined", "temp"})
RISK_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


class _Spec(BaseModel):
    # Built when first validated: a diagnosis reads the graph from the compiled cache, not from YAML.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class AliasSpec(_Spec):
    """A vendor name for a metric; ``scale`` converts the vendor's unit to the metric's unit."""

    name: str = Field(min_length=1)
    scale: float = Field(default=1.0, gt=0)


AliasEntry = str | AliasSpec


class ShareSpec(_Spec):
    """A metric no source reports, computed per sample: ``part`` as a percentage of ``of`` added up.

    How a load divides between metrics says what the metrics alone cannot: kernel
    time that grows with user time is the database's own work, kernel time that
    outgrows it is someone else's.
    """

    part: str = Field(min_length=1)
    of: list[str] = Field(min_length=2)


class MetricSpec(_Spec):
    title: str = ""
    unit: str
    aggregate: Aggregate = "mean"
    description: str = ""
    aliases: list[AliasEntry] = Field(default_factory=list)
    share: ShareSpec | None = None


class Observation(_Spec):
    metric: str
    direction: Direction


class FactTest(_Spec):
    """A fact that shows a symptom: its name and tests on its attributes, as in a rule's ``where``.

    This is how what rules derive from statements, lock snapshots, events and
    settings (``top_sql``, ``lock_waits``, ``event``, ``settings`` observations)
    counts as evidence in the graph.
    """

    fact: str = Field(min_length=1)
    where: dict[str, NumTest | bool | str] = Field(default_factory=dict)


class SymptomSpec(_Spec):
    title: str
    description: str = ""
    observed_by: list[Observation] = Field(default_factory=list)
    shown_by: list[FactTest] = Field(default_factory=list, description="facts that show the symptom")


class ComponentSpec(_Spec):
    title: str
    description: str = ""


class CauseSpec(_Spec):
    title: str
    description: str = ""
    engines: list[EngineName] = Field(default_factory=list, description="empty means every engine")
    produces: dict[str, float] = Field(default_factory=dict, description="symptom -> likelihood (0, 1]")
    affects: list[str] = Field(default_factory=list)
    leads_to: dict[str, float] = Field(default_factory=dict, description="cause -> likelihood (0, 1]")

    @field_validator("produces", "leads_to")
    @classmethod
    def _weights(cls, weights: dict[str, float]) -> dict[str, float]:
        for target, weight in weights.items():
            if not 0.0 < weight <= 1.0:
                raise ValueError(f"weight of {target!r} must be in (0, 1], not {weight}")
        return weights


class CheckSpec(_Spec):
    title: str
    description: str = ""
    tool: Tool
    args: dict[str, Any] = Field(default_factory=dict)
    measures: list[str] = Field(default_factory=list, description="metrics the check looks at")
    reveals: list[str] = Field(default_factory=list, description="symptoms the check can show directly")


class RemediationSpec(_Spec):
    title: str
    description: str = ""
    risk: Risk
    mitigates: list[str] = Field(min_length=1)


class GraphFile(_Spec):
    """One authoring file. ``aliases`` lets another area add vendor names to existing metrics."""

    metrics: dict[str, MetricSpec] = Field(default_factory=dict)
    aliases: dict[str, list[AliasEntry]] = Field(default_factory=dict)
    symptoms: dict[str, SymptomSpec] = Field(default_factory=dict)
    components: dict[str, ComponentSpec] = Field(default_factory=dict)
    causes: dict[str, CauseSpec] = Field(default_factory=dict)
    checks: dict[str, CheckSpec] = Field(default_factory=dict)
    remediations: dict[str, RemediationSpec] = Field(default_factory=dict)


NODE_SECTIONS: dict[str, str] = {
    "metrics": "metric",
    "symptoms": "symptom",
    "components": "component",
    "causes": "cause",
    "checks": "check",
    "remediations": "remediation",
}
