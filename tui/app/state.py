"""What the app remembers between screens: the service, the root path, each incident's status.

Statuses are only mutated on the event-loop thread (workers hand results back
with ``call_from_thread``), so screens can read them without locks.

A planner's conclusion costs seconds of model time and was asked for by the
DBA, so it is kept (``investigations``) and shown wherever that incident's
diagnosis is: the list, the incident reopened, the batch results, until the
file itself changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast

from textual.message_pump import MessagePump

from sleuth import DiagnoseOptions, IncidentRef, Sleuth

if TYPE_CHECKING:
    from models import CauseFinding, Diagnosis, Incident

Status = Literal["pending", "diagnosing", "explained", "planner", "healthy", "inconclusive", "error"]

STATUS_STYLE: dict[Status, str] = {
    "pending": "dim",
    "diagnosing": "yellow",
    "explained": "green",
    "planner": "cyan",
    "healthy": "green dim",
    "inconclusive": "magenta",
    "error": "bold red",
}


@dataclass(frozen=True)
class IncidentStatus:
    ref: IncidentRef
    status: Status = "pending"
    incident: Incident | None = None
    diagnosis: Diagnosis | None = None
    error: str = ""
    generation: int = 0
    """The rule book's generation the diagnosis was made with (0: none was in force)."""

    @property
    def top(self) -> CauseFinding | None:
        if self.diagnosis is None or not self.diagnosis.causes:
            return None
        return self.diagnosis.causes[0]

    @property
    def finished(self) -> bool:
        return self.status not in ("pending", "diagnosing")


def status_of(diagnosis: Diagnosis) -> Status:
    """``planner`` says the cause came from the model, so the list never passes it off as a rule's."""
    if diagnosis.path == "healthy":
        return "healthy"
    if not diagnosis.causes:
        return "inconclusive"
    return "planner" if diagnosis.path == "llm" else "explained"


@dataclass
class AppState:
    services: Sleuth
    root: Path
    statuses: dict[Path, IncidentStatus] = field(default_factory=dict)
    generation: int = 0
    """The generation of the rule book in force, as last reported; older diagnoses are stale."""
    investigations: dict[Path, tuple[float, Diagnosis]] = field(default_factory=dict)

    def fresh(self, ref: IncidentRef) -> IncidentStatus | None:
        """The finished status of ``ref`` if neither the file nor the rules changed since."""
        known = self.statuses.get(ref.path)
        if known is None or known.ref.mtime != ref.mtime or not known.finished:
            return None
        return None if self.stale(known) else known

    def stale(self, status: IncidentStatus) -> bool:
        """Diagnosed by older rules; an error is retried after a reload too (the rules may be why)."""
        return status.finished and status.generation < self.generation

    def settle(self, status: IncidentStatus) -> IncidentStatus:
        """Record a worker's result, with the planner's conclusion in place of the rules' when there is one."""
        kept = self.investigations.get(status.ref.path)
        if kept is not None and kept[0] == status.ref.mtime and status.incident is not None:
            status = replace(status, diagnosis=kept[1], status=status_of(kept[1]), error="")
        self.statuses[status.ref.path] = status
        return status

    def remember(self, ref: IncidentRef, diagnosis: Diagnosis) -> IncidentStatus | None:
        """Keep a planner's conclusion for ``ref``; the updated status, if the incident is known."""
        self.investigations[ref.path] = (ref.mtime, diagnosis)
        known = self.statuses.get(ref.path)
        if known is None or known.incident is None or known.ref.mtime != ref.mtime:
            return None
        return self.settle(known)


class _HasState(Protocol):
    state: AppState


def app_state(node: MessagePump) -> AppState:
    """The state of the running ``SleuthApp``, reached from any widget or screen."""
    return cast(_HasState, node.app).state


def one_line(exc: BaseException) -> str:
    """Errors shown in a table cell or a toast: the first line, never a traceback."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def diagnose_ref(
    services: Sleuth, ref: IncidentRef, options: DiagnoseOptions | None = None
) -> IncidentStatus:
    """Load and diagnose one incident; blocking, for worker threads. Failures become an error status.

    The generation is read before diagnosing: a reload that lands meanwhile
    leaves the result marked with the older one, so it is redone, never kept.
    """
    generation = services.rules.state().generation
    try:
        incident = services.load_incident(ref.path)
    except Exception as exc:
        return IncidentStatus(ref, "error", error=one_line(exc), generation=generation)
    try:
        diagnosis = services.diagnose(incident, options or DiagnoseOptions())
    except Exception as exc:
        return IncidentStatus(ref, "error", incident=incident, error=one_line(exc), generation=generation)
    return IncidentStatus(ref, status_of(diagnosis), incident, diagnosis, generation=generation)
