"""What the history hands its callers: plain, frozen views of stored diagnoses and verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

VerdictKind = Literal["confirmed", "rejected"]
Source = Literal["cli", "tui", "watcher", "api"]


@dataclass(frozen=True)
class Verdict:
    """The DBA's word on one cause of one recorded diagnosis."""

    cause: str
    verdict: VerdictKind
    note: str = ""
    decided_at: float = 0.0


@dataclass(frozen=True)
class RecordedCause:
    cause: str
    certainty: float
    source: str = "rules"


@dataclass(frozen=True)
class NewRecord:
    """A diagnosis about to be recorded; ``incident`` (JSON) is kept only when there is no ``path``."""

    incident_id: str
    title: str
    engine: str
    source: str
    path: str | None
    digest: str
    incident: str | None
    diagnosis_path: str
    causes: tuple[RecordedCause, ...]
    rulebook: str
    signature: dict[str, float]
    window: tuple[float, float] | None
    window_inferred: bool
    recorded_at: float


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded diagnosis and the verdicts on its causes."""

    id: int
    recorded_at: float
    incident_id: str
    title: str
    engine: str
    source: str
    path: str | None
    digest: str
    diagnosis_path: str
    causes: tuple[RecordedCause, ...]
    rulebook: str
    window: tuple[float, float] | None
    window_inferred: bool
    verdicts: tuple[Verdict, ...] = ()
    has_incident: bool = False
    signature: dict[str, float] = field(default_factory=dict)

    @property
    def confirmed(self) -> tuple[str, ...]:
        return tuple(v.cause for v in self.verdicts if v.verdict == "confirmed")

    @property
    def rejected(self) -> tuple[str, ...]:
        return tuple(v.cause for v in self.verdicts if v.verdict == "rejected")

    @property
    def note(self) -> str:
        """The notes of the verdicts, one after another."""
        return "; ".join(v.note for v in self.verdicts if v.note)

    @property
    def top_cause(self) -> str | None:
        return self.causes[0].cause if self.causes else None

    def as_json(self) -> dict[str, Any]:
        """The record as ``sleuth history export`` writes it (one JSON object per line)."""
        return {
            "id": self.id,
            "recorded_at": self.recorded_at,
            "incident": self.incident_id,
            "title": self.title,
            "engine": self.engine,
            "source": self.source,
            "path": self.path,
            "digest": self.digest,
            "diagnosis_path": self.diagnosis_path,
            "causes": [{"cause": c.cause, "certainty": c.certainty, "source": c.source} for c in self.causes],
            "rulebook": self.rulebook,
            "window": list(self.window) if self.window else None,
            "window_inferred": self.window_inferred,
            "signature": dict(self.signature),
            "verdicts": [
                {"cause": v.cause, "verdict": v.verdict, "note": v.note, "decided_at": v.decided_at}
                for v in self.verdicts
            ],
        }


@dataclass(frozen=True)
class Confirmed:
    """A record with at least one confirmed cause: what retrieval indexes and learning reads."""

    id: int
    engine: str
    incident_id: str
    signature: dict[str, float]
    causes: tuple[str, ...]
    note: str
    recorded_at: float
    path: str | None
