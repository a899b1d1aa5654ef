"""sleuth's application service: the one headless entry to the core.

The command line, the terminal UI, the benchmarks and the tests build a
``Sleuth`` from ``Settings`` and call its use cases (diagnose, explain, why-not,
lint, test, investigate, eval, import, collect). Importing this package is
cheap: the core's packages load when a use case first needs them (the types
re-exported from them below are imported on first use).
"""

import importlib
from typing import TYPE_CHECKING, Any

from sleuth._batch import Outcome
from sleuth._errors import UsageError
from sleuth._options import NO_RULES, DiagnoseOptions, LlmMode
from sleuth._service import Sleuth
from sleuth._settings import Settings, SettingsError, config_file, load_settings, user_data_dir

if TYPE_CHECKING:
    from knowledge_graph import EXPORT_FORMATS as GRAPH_FORMATS
    from planner.observer import ModelCallKind, PlannerObserver, StepState
    from sleuth._views import (
        IncidentRef,
        KgCause,
        KgCheck,
        KgMetric,
        KgSymptom,
        PackInfo,
        RuleInfo,
        RulesState,
        RuleTestOutcome,
    )
    from sleuth.history import HistoryEntry, HistoryError
    from sources.errors import IncidentError
    from sources.evalsets import EvalSetOptions

_LAZY = {
    "EvalSetOptions": "sources.evalsets",
    "GRAPH_FORMATS": "knowledge_graph",
    "HistoryEntry": "sleuth.history",
    "HistoryError": "sleuth.history",
    "IncidentError": "sources.errors",
    "ModelCallKind": "planner.observer",
    "PlannerObserver": "planner.observer",
    "StepState": "planner.observer",
    # plain views of rules, the graph and incident folders, for entry points: a batch makes none
    "IncidentRef": "sleuth._views",
    "KgCause": "sleuth._views",
    "KgCheck": "sleuth._views",
    "KgMetric": "sleuth._views",
    "KgSymptom": "sleuth._views",
    "PackInfo": "sleuth._views",
    "RuleInfo": "sleuth._views",
    "RulesState": "sleuth._views",
    "RuleTestOutcome": "sleuth._views",
}

_RENAMED = {"GRAPH_FORMATS": "EXPORT_FORMATS"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sleuth' has no attribute {name!r}")
    return getattr(importlib.import_module(module), _RENAMED.get(name, name))


__all__ = [
    "GRAPH_FORMATS",
    "NO_RULES",
    "DiagnoseOptions",
    "EvalSetOptions",
    "HistoryEntry",
    "HistoryError",
    "IncidentError",
    "IncidentRef",
    "KgCause",
    "KgCheck",
    "KgMetric",
    "KgSymptom",
    "LlmMode",
    "ModelCallKind",
    "Outcome",
    "PackInfo",
    "PlannerObserver",
    "RuleInfo",
    "RuleTestOutcome",
    "RulesState",
    "Settings",
    "SettingsError",
    "Sleuth",
    "StepState",
    "UsageError",
    "config_file",
    "load_settings",
    "user_data_dir",
]
