"""The tool registry: the only actions a plan can contain, each read-only with a typed argument schema.

A plan step names a tool and arguments; the registry validates both before
anything runs, so a model (or text injected into its prompt) cannot invent a
tool or smuggle an argument. Tool failures become ``ToolResult(ok=False)``
rather than exceptions: one broken observation must not sink the investigation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from knowledge_graph import KnowledgeGraph
from models import Fact, PlanStep, TimeWindow, ToolResult
from planner.tools.datasource import DataSource

if TYPE_CHECKING:
    from planner.tools.history import IncidentHistory


class ToolArgsError(ValueError):
    """A step names an unknown tool or gives arguments its schema rejects."""


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class ToolContext:
    """What every tool may read: the data, the graph, the window and what is already known."""

    source: DataSource
    graph: KnowledgeGraph
    window: TimeWindow | None
    signals: list[Fact] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    done_checks: set[str] = field(default_factory=set)
    cancel: threading.Event = field(default_factory=threading.Event)
    # Confirmed past incidents (``planner.tools.history.IncidentHistory``); None without a history.
    history: IncidentHistory | None = None


@dataclass
class ToolOutput:
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)


A = TypeVar("A", bound=BaseModel)


@dataclass(frozen=True)
class Tool(Generic[A]):
    name: str
    description: str
    args_model: type[A]
    fn: Callable[[ToolContext, A, str], ToolOutput]


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool[Any]] = {}

    def register(self, tool: Tool[Any]) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def names(self) -> list[str]:
        return sorted(self._tools)

    def get(self, name: str) -> Tool[Any]:
        try:
            return self._tools[name]
        except KeyError:
            raise ToolArgsError(f"unknown tool {name[:60]!r}") from None

    def validate(self, tool: str, args: dict[str, Any]) -> BaseModel:
        spec = self.get(tool)
        try:
            validated: BaseModel = spec.args_model.model_validate(args)
            return validated
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "args"
            raise ToolArgsError(f"{tool}: {where}: {first['msg']}") from None

    def run(self, step: PlanStep, ctx: ToolContext) -> ToolResult:
        t0 = time.perf_counter()
        try:
            args = self.validate(step.tool, step.args)
            out = self.get(step.tool).fn(ctx, args, step.id)
        except Exception as exc:  # a tool's bug or bad data must not end the investigation
            return ToolResult(
                step=step.id,
                tool=step.tool,
                ok=False,
                error=f"{type(exc).__name__}: {exc}"[:300],
                elapsed_ms=(time.perf_counter() - t0) * 1000.0,
            )
        return ToolResult(
            step=step.id,
            tool=step.tool,
            ok=True,
            summary=out.summary,
            data=out.data,
            facts=out.facts,
            elapsed_ms=(time.perf_counter() - t0) * 1000.0,
        )
