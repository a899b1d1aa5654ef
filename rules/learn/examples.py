"""What learning reads: incidents whose causes are known (labelled files or the DBA's confirmations)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import Incident, TimeWindow


@dataclass(frozen=True)
class Example:
    """One incident and its true causes.

    ``window`` stands in when the incident has none of its own (a capture whose
    window was inferred when it was diagnosed); ``path`` is the file an inline
    test can point at; ``origin`` says where the example came from, for the
    pack's description.
    """

    incident: Incident
    causes: tuple[str, ...]
    path: Path | None = None
    window: TimeWindow | None = None
    origin: str = ""

    @property
    def name(self) -> str:
        return self.origin or (str(self.path) if self.path is not None else self.incident.id)
