"""The LLM fallback: triage, plans over read-only tools, reflection, traces.

Headless by design (no Textual), so batch runs, the UI and tests share it.
"""

from planner.config import ConfigError, PlannerConfig, load_config
from planner.observer import NullObserver, PlannerObserver, StepState
from planner.triage import Investigation, RulesRunner, Verdict, diagnose, needs_planner

__all__ = [
    "ConfigError",
    "Investigation",
    "NullObserver",
    "PlannerConfig",
    "PlannerObserver",
    "RulesRunner",
    "StepState",
    "Verdict",
    "diagnose",
    "load_config",
    "needs_planner",
]
