"""The error raised when rule files are rejected; each problem reads ``FILE:LINE:COL rule-id: message``."""

from __future__ import annotations

from collections.abc import Sequence

from models.problems import Problem


class RuleLoadError(Exception):
    """Rule files were rejected; ``problems`` carries every finding, not just the first.

    Reporting all of them at once spares the author an edit-run loop per typo.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems))
        super().__init__("\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]
