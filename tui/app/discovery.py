"""Finding incidents under a path without parsing them, so the list paints at once.

It mirrors ``sources.importers.expand_paths`` (a directory means its ``*.json``
files, recursively) so the UI lists exactly what ``sleuth diagnose DIR`` would
diagnose, minus the reports the UI itself writes next to incidents. The
modification times let the incidents screen poll for edits without a
file-watcher dependency.
"""

from __future__ import annotations

from pathlib import Path

from tui.app.services import IncidentRef

REPORT_SUFFIXES = (".diagnosis.json",)


def find_incidents(root: Path) -> list[IncidentRef]:
    """Incident files under ``root`` (or ``root`` itself when it is a file), sorted by path."""
    if root.is_file():
        return [IncidentRef(root, root.name, root.stat().st_mtime)]
    if not root.is_dir():
        return []
    found: list[IncidentRef] = []
    for path in sorted(root.rglob("*.json")):
        relative = path.relative_to(root)
        if path.name.endswith(REPORT_SUFFIXES) or any(p.startswith(".") for p in relative.parts):
            continue
        try:
            if path.is_file():
                found.append(IncidentRef(path, relative.as_posix(), path.stat().st_mtime))
        except OSError:
            continue  # vanished between listing and stat: the next poll settles it
    return found


def fingerprint(refs: list[IncidentRef]) -> tuple[tuple[str, float], ...]:
    """What changes when any incident is added, removed or edited."""
    return tuple((str(r.path), r.mtime) for r in refs)
