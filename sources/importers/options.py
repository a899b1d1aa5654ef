"""What a metrics-only export cannot tell: the instance, a title, the anomaly window."""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Engine, TimeWindow


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
