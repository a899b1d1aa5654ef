"""Read-only tools a plan may call, over an incident file or a live server (``planner.tools.datasource``)."""

from planner.tools.base import NoArgs, Tool, ToolArgsError, ToolContext, ToolOutput, ToolRegistry
from planner.tools.datasource import DataSource, IncidentSource
from planner.tools.registry import default_registry

__all__ = [
    "DataSource",
    "IncidentSource",
    "NoArgs",
    "Tool",
    "ToolArgsError",
    "ToolContext",
    "ToolOutput",
    "ToolRegistry",
    "default_registry",
]
