"""sleuth's data contracts (pydantic): the only package every other one may import.

It imports nothing else of ours, so the incident, rule and report formats stay
one source of truth for the CLI, the UI, importers and the JSON Schemas.
"""

from models.diagnosis import (
    CauseFinding,
    Diagnosis,
    DiagnosisPath,
    Evidence,
    Remediation,
    RuleFiring,
    TraceEvent,
    WhyNot,
)
from models.facts import SIGNAL_NUMERIC_FIELDS, SIGNAL_STRING_FIELDS, Direction, Fact, Shape
from models.incident import (
    SCHEMA_VERSION,
    Engine,
    Event,
    Incident,
    Instance,
    LockWait,
    LogExcerpt,
    MetricSeries,
    SqlDigest,
    TimeWindow,
)
from models.planning import Plan, PlanStep, ToolResult
from models.rulespec import Condition, NumTest, RulePack, RuleSpec, RuleTest, Then, When
from models.schema import json_schema

__all__ = [
    "SCHEMA_VERSION",
    "SIGNAL_NUMERIC_FIELDS",
    "SIGNAL_STRING_FIELDS",
    "CauseFinding",
    "Condition",
    "Diagnosis",
    "DiagnosisPath",
    "Direction",
    "Engine",
    "Event",
    "Evidence",
    "Fact",
    "Incident",
    "Instance",
    "LockWait",
    "LogExcerpt",
    "MetricSeries",
    "NumTest",
    "Plan",
    "PlanStep",
    "Remediation",
    "RuleFiring",
    "RulePack",
    "RuleSpec",
    "RuleTest",
    "Shape",
    "SqlDigest",
    "Then",
    "TimeWindow",
    "ToolResult",
    "TraceEvent",
    "When",
    "WhyNot",
    "json_schema",
]
