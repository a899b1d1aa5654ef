"""Where a watcher's incidents go: files in a directory always, the history when it can be reached.

Every incident is written as an incident file (``INCIDENTS/SERVER/ID.json``,
replaced whole as the incident grows) and, once resolved, its final diagnosis
beside it (``ID.diagnosis.json``). The history then records it from those two
files: a watcher without a history, or whose team database is down, keeps
the files pending and records them on a later try, once one exists. A record
is made once per incident id, whichever watcher (or restart of one) gets there.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from models import Diagnosis, Incident
from sleuth.history import HistoryError
from sleuth.watch.state import Pending, StateFiles
from sources.output_files import write_text

if TYPE_CHECKING:
    from sleuth import Sleuth

DIAGNOSIS_SUFFIX = ".diagnosis.json"


class Spool:
    """The incident and state directories of one watcher, and its way into the history."""

    def __init__(self, app: Sleuth, incidents: Path, state: Path, *, history: bool = True) -> None:
        self.app = app
        self.incidents = incidents
        self.state = state
        self.history = history
        self._lock = threading.Lock()

    def state_files(self, server: str) -> StateFiles:
        return StateFiles(self.state, server)

    def incident_path(self, server: str, incident_id: str) -> Path:
        return self.incidents / server / f"{incident_id}.json"

    def diagnosis_path(self, server: str, incident_id: str) -> Path:
        return self.incidents / server / f"{incident_id}{DIAGNOSIS_SUFFIX}"

    def write_incident(self, server: str, incident: Incident) -> Path:
        path = self.incident_path(server, incident.id)
        return self.app.write_incident(incident, path, force=True)

    def write_diagnosis(self, server: str, incident_id: str, diagnosis: Diagnosis) -> Path:
        return write_text(
            self.diagnosis_path(server, incident_id),
            diagnosis.model_dump_json(indent=1),
            force=True,
            parents=True,
        )

    def record(self, pending: Sequence[Pending]) -> list[Pending]:
        """Record what is pending; the entries that could not be recorded now are returned."""
        if not self.history:
            return list(pending)
        left: list[Pending] = []
        with self._lock:  # one writer per process: recorded-or-not is checked and acted on at once
            for item in pending:
                try:
                    if not self.app.history.entries(incident_id=item.id, limit=1):
                        diagnosis = Diagnosis.model_validate_json(Path(item.diagnosis).read_bytes())
                        self.app.record(diagnosis, path=Path(item.path), source="watcher")
                except (HistoryError, OSError, ValueError):
                    left.append(item)
        return left
