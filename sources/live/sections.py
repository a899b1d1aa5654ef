"""Runs a collector's sections so one missing privilege or view costs only that section.

A monitoring role often lacks one grant (performance_schema, pg_stat_statements);
the capture should go on with everything else and say once what it skipped,
rather than fail or silently return less.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sources.live.errors import QueryFailed
from sources.live.sample import Sample
from sources.live.session import Row, Session

SectionFn = Callable[[Session, Sample], None]


@dataclass
class Section:
    name: str
    run: SectionFn
    enabled: bool = True


class SectionRunner:
    """Runs the enabled sections into one sample; a ``QueryFailed`` disables its section with a note."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self.notes: list[str] = []

    def disable(self, name: str, why: str) -> None:
        for section in self.sections:
            if section.name == name and section.enabled:
                section.enabled = False
                self.notes.append(f"{name}: not collected ({why})")

    def run(self, session: Session, sample: Sample) -> None:
        try:
            for section in self.sections:
                if not section.enabled:
                    continue
                try:
                    section.run(session, sample)
                except QueryFailed as exc:
                    self.disable(section.name, exc.message)
        finally:
            session.end_snapshot()


def number(value: Any) -> float | None:
    """Driver values (int, Decimal, str of digits) as float; anything else is not a metric."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def put_numbers(
    target: dict[str, float], prefix: str, row: Row, names: tuple[str, ...] | None = None
) -> None:
    """Copy the numeric columns of one row into ``target`` as ``prefix.column``."""
    for key in names if names is not None else tuple(row):
        value = number(row.get(key))
        if value is not None:
            target[f"{prefix}.{key}"] = value
