"""What the service hands entry points about rules and the graph: plain, frozen, cheap to import.

Entry points (the TUI above all) show these without importing the core's
packages, so their types live here rather than in ``rules`` or
``knowledge_graph``, and the UI paints before those are loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models import Remediation


@dataclass(frozen=True)
class IncidentRef:
    """An incident found on disk, before it is parsed (listing must stay instant)."""

    path: Path
    name: str
    mtime: float


@dataclass(frozen=True)
class RuleInfo:
    id: str
    title: str
    pack: str
    concludes: str
    certainty: float
    salience: int
    engines: tuple[str, ...]
    file: Path
    line: int
    tests: int


@dataclass(frozen=True)
class PackInfo:
    name: str
    file: Path
    rules: tuple[RuleInfo, ...]


@dataclass(frozen=True)
class RulesState:
    """The rules in force, and the errors of the last reload (which left them in force)."""

    packs: tuple[PackInfo, ...]
    errors: tuple[str, ...] = ()
    generation: int = 0

    @property
    def rule_count(self) -> int:
        return sum(len(p.rules) for p in self.packs)

    @property
    def rules(self) -> tuple[RuleInfo, ...]:
        return tuple(rule for pack in self.packs for rule in pack.rules)

    def find(self, rule_id: str) -> RuleInfo | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


@dataclass(frozen=True)
class RuleTestOutcome:
    """One inline test of a rule file; ``where`` is ``FILE:LINE:COL`` of the test entry."""

    where: str
    rule: str
    incident: Path
    passed: bool
    message: str

    def __str__(self) -> str:
        return f"{self.where} {self.rule}: {self.message}"


@dataclass(frozen=True)
class KgMetric:
    """A metric that shows a symptom when it moves in ``direction`` (``up`` or ``down``)."""

    id: str
    direction: str


@dataclass(frozen=True)
class KgSymptom:
    """A symptom; one without metrics is shown only by a planner check."""

    id: str
    title: str
    metrics: tuple[KgMetric, ...]


@dataclass(frozen=True)
class KgCheck:
    id: str
    title: str
    tool: str


@dataclass(frozen=True)
class KgCause:
    """One cause with what the graph links to it, flattened for a tree explorer."""

    id: str
    title: str
    symptoms: tuple[KgSymptom, ...] = ()
    checks: tuple[KgCheck, ...] = ()
    remediations: tuple[Remediation, ...] = ()
