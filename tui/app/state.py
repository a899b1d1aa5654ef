"""What the app remembers between screens: the services, the root path, and each incident's status.

Statuses are only mutated on the event-loop thread (workers hand results back
with ``call_from_thread``), so screens can read them without locks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast

from textual.message_pump import MessagePump

from tui.app.services import IncidentRef, Services

if TYPE_CHECKING:
    from models import CauseFinding, Diagnosis, Incident

Status = Literal["pending", "diagnosing", "explained", "inconclusive", "error"]


@dataclass(frozen=True)
class IncidentStatus:
    ref: IncidentRef
    status: Status = "pending"
    incident: Incident | None = None
    diagnosis: Diagnosis | None = None
    error: str = ""
    rules_epoch: int = 0

    @property
    def top(self) -> CauseFinding | None:
        if self.diagnosis is None or not self.diagnosis.causes:
            return None
        return self.diagnosis.causes[0]


@dataclass
class AppState:
    services: Services
    root: Path
    statuses: dict[Path, IncidentStatus] = field(default_factory=dict)
    rules_epoch: int = 0
    """Bumped by each successful rules reload: diagnoses made before it are stale."""

    def fresh(self, ref: IncidentRef) -> IncidentStatus | None:
        """The finished status of ``ref`` if neither the file nor the rules changed since."""
        known = self.statuses.get(ref.path)
        if known is None or known.ref.mtime != ref.mtime or known.status in ("pending", "diagnosing"):
            return None
        return known if known.rules_epoch == self.rules_epoch else None


class _HasState(Protocol):
    state: AppState


def app_state(node: MessagePump) -> AppState:
    """The state of the running ``SleuthApp``, reached from any widget or screen."""
    return cast(_HasState, node.app).state


def one_line(exc: BaseException) -> str:
    """Errors shown in a table cell or a toast: the first line, never a traceback."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def diagnose_ref(services: Services, ref: IncidentRef, rules_epoch: int = 0) -> IncidentStatus:
    """Load and diagnose one incident; blocking, for worker threads. Failures become an error status."""
    try:
        incident = services.load_incident(ref.path)
    except Exception as exc:
        return IncidentStatus(ref, "error", error=one_line(exc), rules_epoch=rules_epoch)
    try:
        diagnosis = services.diagnose(incident)
    except Exception as exc:
        return IncidentStatus(ref, "error", incident=incident, error=one_line(exc), rules_epoch=rules_epoch)
    explained = diagnosis.path != "inconclusive" and bool(diagnosis.causes)
    status: Status = "explained" if explained else "inconclusive"
    return IncidentStatus(ref, status, incident, diagnosis, rules_epoch=rules_epoch)
