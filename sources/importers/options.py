"""What a metrics-only export cannot tell: the instance, a title, the anomaly window."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from models import Engine, Incident, Instance, MetricSeries, TimeWindow
from models.incident import diagnosis_problem
from sources.errors import IncidentError, describe_validation


@dataclass(frozen=True)
class ImportOptions:
    engine: Engine | None = None
    incident_id: str | None = None
    title: str = ""
    window: TimeWindow | None = None
    labels: list[str] = field(default_factory=list)


def guess_engine(names: list[str]) -> Engine | None:
    """Exporter prefixes name the engine; CloudWatch and node metrics do not."""
    lowered = [n.lower() for n in names]
    if any(n.startswith(("pg_", "postgres")) for n in lowered):
        return "postgres"
    if any(n.startswith(("mysql_", "mariadb", "innodb")) for n in lowered):
        return "mysql"
    return None


def build_incident(
    path: Path,
    series: Sequence[MetricSeries],
    engine: Engine,
    options: ImportOptions,
    *,
    kind: str,
    title: str,
) -> Incident:
    """The incident of an export's series, refused in one line naming ``path`` when it is invalid or
    holds nothing a diagnosis can compare (a ``--window`` outside the data, say)."""
    try:
        incident = Incident(
            id=options.incident_id
            or re.sub(r"[^A-Za-z0-9_.:-]", "_", path.stem).lstrip("_.:-")
            or "incident",
            title=options.title or f"{title} {path.name}",
            instance=Instance(engine=engine),
            metrics=list(series),
            window=options.window,
            labels=options.labels,
            source=f"{kind}:{path.name}",
        )
    except ValidationError as exc:
        raise IncidentError(path, describe_validation(exc)) from None
    problem = diagnosis_problem(incident)
    if problem is not None:
        raise IncidentError(path, problem)
    return incident
