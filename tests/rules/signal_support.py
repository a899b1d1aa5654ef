"""Helpers shared by the signal, window and pack tests: the DBSherlock cases and a tiny metric catalog."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Alias:
    metric: str
    scale: float = 1.0


@dataclass(frozen=True)
class Info:
    aggregate: str = "mean"
    unit: str = ""


class TableCatalog:
    """A metric catalog from a plain dict, so signal tests do not depend on the graph's contents."""

    def __init__(self, aliases: dict[str, Alias], infos: dict[str, Info] | None = None) -> None:
        self.aliases = aliases
        self.infos = infos or {}

    def resolve_alias(self, vendor_name: str) -> Alias | None:
        return self.aliases.get(vendor_name)

    def metric_info(self, metric_id: str) -> Info:
        return self.infos.get(metric_id, Info())


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
