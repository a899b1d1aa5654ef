"""Reading and writing incident files: the one place where an incident crosses the disk."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from models import Incident
from sources.importers.errors import IncidentError, describe_validation

DEFAULT_MAX_MB = 64.0


def max_file_bytes() -> int:
    """Incident files are JSON held in memory; a cap keeps a stray 200 MB dump from exhausting it."""
    raw = os.environ.get("SLEUTH_MAX_FILE_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        raise IncidentError(path, "empty file")
    limit = max_file_bytes()
    if size > limit:
        raise IncidentError(
            path,
            f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:.0f} MB limit "
            "(raise it with SLEUTH_MAX_FILE_MB)",
        )


def read_json(path: str | Path) -> object:
    """Parse JSON with a message naming the line and column, never a traceback."""
    p = Path(path)
    try:
        check_size(p)
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IncidentError(p, "no such file") from None
    except IsADirectoryError:
        raise IncidentError(p, "is a directory") from None
    except UnicodeDecodeError as exc:
        raise IncidentError(p, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise IncidentError(p, exc.strerror or str(exc)) from None
    if not text.strip():
        raise IncidentError(p, "empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise IncidentError(p, f"line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from None


def load_incident(path: str | Path) -> Incident:
    data = read_json(path)
    if not isinstance(data, dict):
        raise IncidentError(path, f"(top level): expected a JSON object, got {type(data).__name__}")
    try:
        return Incident.model_validate(data)
    except ValidationError as exc:
        raise IncidentError(path, describe_validation(exc)) from None


def dump_incident(incident: Incident) -> str:
    return incident.model_dump_json(indent=1, exclude_none=True)


def write_incident(incident: Incident, path: str | Path) -> Path:
    """Write atomically so an interrupted import never leaves a half-written incident behind."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(dump_incident(incident) + "\n", encoding="utf-8")
    tmp.replace(p)
    return p


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given, directories as their ``*.json`` files (recursively, sorted)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.json") if q.is_file())
        else:
            yield p
