"""What ``sleuth rules learn`` learns from: labelled incident files, the history's confirmations, or both.

An inline test must point at a file, so a confirmed incident the history kept
only in the database is written next to the learned pack (in
``<pack>.incidents/``) before the pack is built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from models import Incident
from rules.learn import Example
from sources.errors import IncidentError


def file_examples(paths: Sequence[Path], load: Callable[[Path], Incident]) -> tuple[list[Example], list[str]]:
    """Incident files with labels; unlabelled or unreadable files are skipped with the reason."""
    examples: list[Example] = []
    skipped: list[str] = []
    for path in paths:
        try:
            incident = load(path)
        except IncidentError as exc:
            skipped.append(str(exc))
            continue
        if not incident.labels:
            skipped.append(f"{path}: no labels (a `labels` list of cause ids) to learn from")
            continue
        examples.append(Example(incident, tuple(incident.labels), path, origin=str(path)))
    return examples, skipped


def kept_beside(
    examples: Sequence[Example], out: Path, write: Callable[[Incident, Path], Path]
) -> list[Example]:
    """Examples whose incident has no file get one in ``<out>.incidents/``, for the pack's inline tests."""
    folder = out.parent / f"{out.stem}.incidents"
    placed: list[Example] = []
    for example in examples:
        if example.path is not None:
            placed.append(example)
            continue
        number = example.origin.removeprefix("history #")
        name = f"{example.incident.id}-{number}.json" if number.isdigit() else f"{example.incident.id}.json"
        incident = example.incident
        if incident.window is None and example.window is not None:
            incident = incident.model_copy(update={"window": example.window})
        path = write(incident.model_copy(update={"labels": list(example.causes)}), folder / name)
        placed.append(replace(example, path=path))
    return placed
