"""What one collector snapshot holds, and the interface every engine's collector implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from models import Engine, LockWait, SqlDigest, StatementActivity, StatementPlan, TableInfo


@dataclass(frozen=True)
class StatementReading:
    """One statement's cumulative counters (``models.StatementCounters`` field names) at one sample.

    ``text`` (masked) and ``schema`` come with the first reading of a statement only: texts are
    read once, counters every sample.
    """

    counters: dict[str, float]
    text: str | None = None
    schema: str | None = None


@dataclass(frozen=True)
class TableReading:
    """A table's cumulative access counters, and each of its indexes' scans, at one moment."""

    schema: str
    name: str
    counters: dict[str, float] = field(default_factory=dict)
    index_scans: dict[str, float] = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass
class Sample:
    """One point in time: cumulative counters (become per-second rates), gauges and lock waits.

    ``statements`` holds the per-statement readings when the engine's statement statistics
    were read at this sample (``None`` when they were not).
    """

    time: float
    counters: dict[str, float] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)
    lock_waits: list[LockWait] = field(default_factory=list)
    statements: dict[str, StatementReading] | None = None


@dataclass(frozen=True)
class ServerInfo:
    """What the incident's ``instance`` records about the server."""

    engine: Engine
    version: str
    host: str
    vcpu: int | None = None
    memory_gb: float | None = None
    local: bool = False


class Collector(Protocol):
    """One engine's collector. Every method reads only; failures raise ``sources.live.errors`` types."""

    def connect(self) -> ServerInfo: ...

    def sample(self, now: float) -> Sample:
        """One snapshot, stamped ``now`` (the sampler's clock, so every series shares one timeline)."""
        ...

    def top_sql(self) -> list[SqlDigest]:
        """Cumulative statement digests since the server's statistics were last reset."""
        ...

    def settings(self) -> dict[str, str]: ...

    def table_readings(self) -> list[TableReading]:
        """Access counters of the busiest tables, read at the start and the end of a capture."""
        ...

    def table_details(self, names: list[str]) -> list[TableInfo]:
        """Size, rows, maintenance, columns and indexes of the named tables (``schema.table``)."""
        ...

    def plans(self, statements: list[StatementActivity]) -> list[StatementPlan]:
        """EXPLAIN (never ANALYZE) of the given statements where read-only access allows it."""
        ...

    def notes(self) -> list[str]:
        """What could not be collected and why (missing extension or privilege), one line each."""
        ...

    def close(self) -> None: ...
