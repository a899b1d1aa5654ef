"""One rule-file problem, formatted ``FILE:LINE:COL rule-id: message`` as editors and CI expect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NO_RULE = "-"  # the rule-id column for problems that belong to no single rule


@dataclass(frozen=True, order=True)
class Problem:
    """Sortable by place so a file's problems print top to bottom, whichever check found them."""

    file: str
    line: int
    col: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col} {self.rule}: {self.message}"


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
