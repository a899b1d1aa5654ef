"""The error raised when authoring files do not form a usable graph."""

from __future__ import annotations

from models.problems import Problem


class GraphLoadError(Exception):
    """The authoring files do not form a usable graph; ``problems`` says where and why, sorted by place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        first = str(self.problems[0]) if self.problems else "unknown problem"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)
