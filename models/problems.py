"""A problem found in an authoring file (rule pack, graph file), printed as ``FILE:LINE:COL id: message``.

Editors and CI jump to that form, so every checker that reads authoring files
reports through this one type: ``rules lint``, ``kg check`` and the YAML reader
beneath both.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_SUBJECT = "-"
"""The id column of a problem that belongs to no single rule or node (a syntax error, a missing file)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One message about one place; sortable by place so a file's problems print top to bottom.

    ``line`` and ``col`` are 1-based; ``subject`` is the rule id or graph node id the
    problem is about, or ``NO_SUBJECT``.
    """

    file: str
    line: int
    col: int
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col} {self.subject}: {self.message}"
