"""The one seam between the Textual app and sleuth's core.

Screens never import ``rules``, ``planner`` or ``knowledge_graph`` directly:
they talk to a ``Services`` object. That keeps the UI testable with a fake
(tests drive every flow without durable_rules or a model), keeps the core's
heavy imports off the path to the first frame, and leaves one place to adapt
when a core API changes.

Every method may block (file I/O, rule engine, model calls); screens call
them from thread workers, never from the event loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from models import Diagnosis, Incident, Plan, Remediation, WhyNot

StepState = Literal["pending", "running", "done", "failed", "skipped", "cancelled"]


class ServiceUnavailable(RuntimeError):
    """A core feature this build does not have yet; the UI shows the message instead of failing."""


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

    def find(self, rule_id: str) -> RuleInfo | None:
        for pack in self.packs:
            for rule in pack.rules:
                if rule.id == rule_id:
                    return rule
        return None


@dataclass(frozen=True)
class RuleTestOutcome:
    rule: str
    incident: str
    passed: bool
    message: str


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
    """One cause with what the graph links to it, flattened for the tree explorer."""

    id: str
    title: str
    symptoms: tuple[KgSymptom, ...] = ()
    checks: tuple[KgCheck, ...] = ()
    remediations: tuple[Remediation, ...] = ()


@dataclass(frozen=True)
class StepUpdate:
    step: str
    tool: str
    state: StepState
    summary: str = ""
    depends_on: tuple[str, ...] = ()


class InvestigationListener(Protocol):
    """What the planner reports while it runs; called from the worker thread."""

    def on_plan(self, plan: Plan) -> None: ...

    def on_step(self, update: StepUpdate) -> None: ...

    def on_text(self, chunk: str) -> None: ...


@dataclass
class Investigation:
    """A running investigation's cancel switch, shared by the UI and the worker thread."""

    cancel: threading.Event = field(default_factory=threading.Event)


class Services(Protocol):
    def list_incidents(self, root: Path) -> list[IncidentRef]: ...

    def load_incident(self, path: Path) -> Incident: ...

    def diagnose(self, incident: Incident) -> Diagnosis: ...

    def why_not(self, incident: Incident, cause: str) -> WhyNot: ...

    def cause_ids(self) -> list[str]: ...

    def canonical_metrics(self, names: list[str]) -> dict[str, str | None]: ...

    def kg_causes(self) -> list[KgCause]: ...

    def rules(self) -> RulesState: ...

    def rule_files(self) -> list[Path]: ...

    def reload_rules(self) -> RulesState: ...

    def lint(self) -> list[str]: ...

    def run_rule_tests(self, rule_id: str) -> list[RuleTestOutcome]: ...

    def investigate(
        self,
        incident: Incident,
        listener: InvestigationListener,
        investigation: Investigation,
    ) -> Diagnosis: ...
