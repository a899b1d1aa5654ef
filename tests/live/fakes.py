"""Fake servers for the collector tests: record every statement, answer from canned rows, fail on cue."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models import SqlDigest, StatementActivity, StatementPlan, TableInfo
from sources.live.errors import ConnectionLost, QueryFailed
from sources.live.guard import check_explainable, check_read_only
from sources.live.sample import Sample, ServerInfo, StatementReading, TableReading
from sources.live.session import Row

Responder = Callable[[str], list[Row]]


@dataclass
class FakeSession:
    """Stands in for a driver connection; ``statements`` is everything a collector sent, in order."""

    respond: Responder
    version: str = "15.4"
    statements: list[str] = field(default_factory=list)
    snapshots_ended: int = 0
    closed: bool = False

    @property
    def server_version(self) -> str:
        return self.version

    def query(self, sql: str) -> list[Row]:
        check_read_only(sql)  # the real sessions guard too; a fake must not hide a write
        self.statements.append(" ".join(sql.split()))
        return self.respond(sql)

    def explain(self, text: str) -> Any:
        """The plan document the canned ``EXPLAIN <text>`` row holds (the first column, like a server's)."""
        check_explainable(text, "postgres" if "mariadb" not in self.version.lower() else "mysql")
        self.statements.append(f"EXPLAIN {' '.join(text.split())}")
        rows = self.respond(f"EXPLAIN {text}")
        if not rows:
            return None
        value = next(iter(rows[0].values()))
        return json.loads(value) if isinstance(value, str) else value

    def end_snapshot(self) -> None:
        self.snapshots_ended += 1

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeClock:
    """A clock that advances only when the sampler sleeps (plus a fixed cost per sample)."""

    now: float = 1_700_000_000.0
    mono: float = 100.0
    sleeps: list[float] = field(default_factory=list)

    def wall(self) -> float:
        return self.now + (self.mono - 100.0)

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mono += seconds


@dataclass
class ScriptedCollector:
    """A collector whose samples are given; ``fail_at`` makes sample number N lose the connection."""

    counters: list[dict[str, float]]
    gauges: list[dict[str, float]]
    fail_at: int | None = None
    interrupt_at: int | None = None
    cost_s: float = 0.0
    clock: FakeClock | None = None
    calls: int = 0
    closed: bool = False
    notes_: list[str] = field(default_factory=list)
    digests: list[list[SqlDigest]] = field(default_factory=list)
    statements: list[dict[str, StatementReading]] = field(default_factory=list)
    tables: list[list[TableReading]] = field(default_factory=list)
    details: list[TableInfo] = field(default_factory=list)
    asked_details: list[list[str]] = field(default_factory=list)
    asked_plans: list[list[str]] = field(default_factory=list)

    def connect(self) -> ServerInfo:
        return ServerInfo(engine="postgres", version="15.4", host="db.example:5432")

    def sample(self, now: float) -> Sample:
        i = self.calls
        self.calls += 1
        if self.fail_at is not None and i == self.fail_at:
            raise ConnectionLost(
                "lost the connection to postgresql://u:***@db.example:5432/app: server closed"
            )
        if self.interrupt_at is not None and i == self.interrupt_at:
            raise KeyboardInterrupt
        if self.clock is not None:
            self.clock.mono += self.cost_s
        return Sample(
            time=now,
            counters=dict(self.counters[i]),
            gauges=dict(self.gauges[i]),
            statements=self.statements[i] if i < len(self.statements) else None,
        )

    def top_sql(self) -> list[SqlDigest]:
        return self.digests.pop(0) if self.digests else []

    def settings(self) -> dict[str, str]:
        return {"max_connections": "100"}

    def table_readings(self) -> list[TableReading]:
        return self.tables.pop(0) if self.tables else []

    def table_details(self, names: list[str]) -> list[TableInfo]:
        self.asked_details.append(list(names))
        return list(self.details)

    def plans(self, statements: list[StatementActivity]) -> list[StatementPlan]:
        self.asked_plans.append([s.digest for s in statements])
        return []

    def notes(self) -> list[str]:
        return list(self.notes_)

    def close(self) -> None:
        self.closed = True


def failing(message: str) -> Callable[[], list[Row]]:
    def raise_() -> list[Row]:
        raise QueryFailed(message)

    return raise_
