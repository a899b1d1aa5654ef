"""Finding incidents under a folder without parsing them, so a list paints at once.

It lists exactly what ``sleuth diagnose DIR`` reads (the incident files under
the folder, by ``sources.importers.expand_paths``), minus hidden folders and
the reports written next to incidents with their modification times.
"""

from __future__ import annotations

from pathlib import Path

from sleuth._views import IncidentRef

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
