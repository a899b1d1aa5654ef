"""Finding incidents under a path without parsing them, so the list paints at once.

The importers decide what an incident is; here we only pick the candidates
(incident-like files and directories one level down) and their modification
times, which the incidents screen polls to notice edits without a file-watcher
dependency.
"""

from __future__ import annotations

from pathlib import Path

from tui.app.services import IncidentRef

INCIDENT_SUFFIXES = frozenset({".json", ".csv", ".yaml", ".yml"})


def _newest_mtime(directory: Path) -> float:
    """A directory's own mtime misses edits to files inside it; the newest file does not."""
    newest = directory.stat().st_mtime
    for child in directory.rglob("*"):
        if child.is_file():
            newest = max(newest, child.stat().st_mtime)
    return newest


def find_incidents(root: Path) -> list[IncidentRef]:
    """Incident candidates under ``root`` (or ``root`` itself when it is a file), sorted by name."""
    if root.is_file():
        return [IncidentRef(root, root.name, root.stat().st_mtime)]
    if not root.is_dir():
        return []
    found: list[IncidentRef] = []
    for child in sorted(root.iterdir()):
        if child.name.startswith(".") or child.name.endswith(".diagnosis.json"):
            continue
        try:
            if child.is_dir():
                found.append(IncidentRef(child, child.name + "/", _newest_mtime(child)))
            elif child.suffix.lower() in INCIDENT_SUFFIXES:
                found.append(IncidentRef(child, child.name, child.stat().st_mtime))
        except OSError:
            continue  # vanished between listing and stat: the next poll settles it
    return found


def fingerprint(refs: list[IncidentRef]) -> tuple[tuple[str, float], ...]:
    """What changes when any incident is added, removed or edited."""
    return tuple((str(r.path), r.mtime) for r in refs)
