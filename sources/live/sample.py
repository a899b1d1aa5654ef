"""What one collector snapshot holds, and the interface every engine's collector implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from models import Engine, LockWait, SqlDigest


@dataclass
class Sample:
    """One point in time: cumulative counters (become per-second rates), gauges and lock waits."""

    time: float
    counters: dict[str, float] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)
    lock_waits: list[LockWait] = field(default_factory=list)


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

    def notes(self) -> list[str]:
        """What could not be collected and why (missing extension or privilege), one line each."""
        ...

    def close(self) -> None: ...
