"""Helpers shared by the signal, window and pack tests: the DBSherlock cases and small incidents."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

from models import Incident, Instance, MetricSeries, TimeWindow
from sources.importers.dbsherlock import case_to_incident, read_manifest

REPO = Path(__file__).resolve().parents[2]
DBSHERLOCK = REPO.parent / "shared" / "datasets" / "dbsherlock-tpcc16w"
PACKS = REPO / "rules" / "packs"


@functools.cache
def dbsherlock_case(name: str) -> Incident:
    cases = {c.name: c for c in read_manifest(DBSHERLOCK)}
    return case_to_incident(cases[name])


@functools.cache
def dbsherlock_cases() -> tuple[Incident, ...]:
    return tuple(case_to_incident(c) for c in read_manifest(DBSHERLOCK))


def incident(
    series: Mapping[str, Sequence[float | None]], window: tuple[float, float] | None, step: float = 1.0
) -> Incident:
    """An incident whose metrics share one clock (0, step, 2*step, ...)."""
    return Incident(
        id="t",
        instance=Instance(engine="mysql"),
        metrics=[
            MetricSeries(name=name, timestamps=[i * step for i in range(len(values))], values=list(values))
            for name, values in series.items()
        ],
        window=None if window is None else TimeWindow(start=window[0], end=window[1]),
    )
