"""Runs a collector's sections so one missing privilege or view costs only that section.

A monitoring role often lacks one grant (performance_schema, pg_stat_statements);
the capture should go on with everything else and say once what it skipped,
rather than fail or silently return less.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sources.live.errors import QueryFailed
from sources.live.sample import Sample
from sources.live.session import Row, Session

SectionFn = Callable[[Session, Sample], None]
T = TypeVar("T")


@dataclass
class Section:
    """A named read; ``per_sample=False`` marks one read only at the edges of a capture (tables, plans)."""

    name: str
    run: SectionFn
    enabled: bool = True
    per_sample: bool = True


def edge_only(name: str) -> Section:
    """A section read only at the start or end of a capture, through ``SectionRunner.guarded``."""
    return Section(name, _no_sample, per_sample=False)


def _no_sample(session: Session, sample: Sample) -> None:
    return None


class SectionRunner:
    """Runs the enabled sections into one sample; a ``QueryFailed`` disables its section with a note."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self.notes: list[str] = []

    def enabled(self, name: str) -> bool:
        return any(s.name == name and s.enabled for s in self.sections)

    def guarded(self, name: str, session: Session, read: Callable[[Session], T], default: T) -> T:
        """Run an edge-only read; a ``QueryFailed`` disables it with one note and gives ``default``.

        The read's snapshot is ended either way, so nothing holds a transaction open afterwards.
        """
        if not self.enabled(name):
            return default
        try:
            return read(session)
        except QueryFailed as exc:
            self.disable(name, exc.message)
            return default
        finally:
            session.end_snapshot()

    def disable(self, name: str, why: str) -> None:
        for section in self.sections:
            if section.name == name and section.enabled:
                section.enabled = False
                self.notes.append(f"{name}: not collected ({why})")

    def run(self, session: Session, sample: Sample) -> None:
        try:
            for section in self.sections:
                if not section.enabled or not section.per_sample:
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
