"""sleuth's data contracts (pydantic): the only package every other one may import.

It imports nothing else of ours, so the incident, rule and report formats stay
one source of truth for the CLI, the UI, importers and the JSON Schemas. The
planner's models and the schemas load when first named: a diagnosis without
the model never builds them.
"""

import importlib
from typing import TYPE_CHECKING, Any

from models.diagnosis import (
    CauseFinding,
    CheckReport,
    ConditionReport,
    Deviation,
    Diagnosis,
    DiagnosisPath,
    Evidence,
    HealthCheck,
    Remediation,
    RuleFiring,
    RuleReport,
    SimilarIncident,
    TraceEvent,
    WhyNot,
)
from models.facts import SIGNAL_NUMERIC_FIELDS, SIGNAL_STRING_FIELDS, Direction, Fact, Shape
from models.fleet import Fleet, FleetServer, WatchTuning
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
from models.problems import NO_SUBJECT, Problem
from models.rulespec import Condition, NumTest, RulePack, RuleSpec, RuleTest, Then, When
from models.workload import (
    IndexInfo,
    PlanNode,
    StatementActivity,
    StatementCounters,
    StatementPlan,
    StatementSeries,
    Subject,
    TableInfo,
)

if TYPE_CHECKING:
    from models.planning import Plan, PlanStep, ToolResult
    from models.schema import json_schema

__all__ = [
    "NO_SUBJECT",
    "SCHEMA_VERSION",
    "SIGNAL_NUMERIC_FIELDS",
    "SIGNAL_STRING_FIELDS",
    "CauseFinding",
    "CheckReport",
    "Condition",
    "ConditionReport",
    "Deviation",
    "Diagnosis",
    "DiagnosisPath",
    "Direction",
    "Engine",
    "Event",
    "Evidence",
    "Fact",
    "Fleet",
    "FleetServer",
    "HealthCheck",
    "Incident",
    "IndexInfo",
    "Instance",
    "LockWait",
    "LogExcerpt",
    "MetricSeries",
    "NumTest",
    "Plan",
    "PlanNode",
    "PlanStep",
    "Problem",
    "Remediation",
    "RuleFiring",
    "RulePack",
    "RuleReport",
    "RuleSpec",
    "RuleTest",
    "Shape",
    "SimilarIncident",
    "SqlDigest",
    "StatementActivity",
    "StatementCounters",
    "StatementPlan",
    "StatementSeries",
    "Subject",
    "TableInfo",
    "Then",
    "TimeWindow",
    "ToolResult",
    "TraceEvent",
    "WatchTuning",
    "When",
    "WhyNot",
    "json_schema",
]

_LAZY = {
    "Plan": "models.planning",
    "PlanStep": "models.planning",
    "ToolResult": "models.planning",
    "json_schema": "models.schema",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
