"""Recorded lab samples, played back: the watcher's tests and benchmarks without waiting on a server.

A recording is what a real collector returned, one JSON line per sample
(``sleuth.watch.state.sample_json``), with statement texts on lines of their
own. ``Replay`` hands the samples to a watcher as a collector would, stamped
on a clock the test chooses, so thirty minutes of a steady server pass in
seconds (an accelerated replay).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from models import SqlDigest, StatementActivity, StatementPlan, TableInfo
from sleuth.watch.state import sample_json, sample_of
from sources.live.errors import ConnectionLost
from sources.live.sample import Collector, Sample, ServerInfo, StatementReading, TableReading


def write_recording(out: IO[str], info: ServerInfo, samples: list[Sample]) -> None:
    out.write(json.dumps({"info": info.__dict__}) + "\n")
    for sample in samples:
        texts = {d: [r.text, r.schema] for d, r in (sample.statements or {}).items() if r.text is not None}
        out.write(json.dumps({"sample": sample_json(sample), "texts": texts}) + "\n")


@dataclass
class Recording:
    """Samples as a collector returned them; ``anomaly`` is the injected one and when it started."""

    info: ServerInfo
    samples: list[Sample]
    anomaly: tuple[str, float] | None = None

    @property
    def interval_s(self) -> float:
        times = [s.time for s in self.samples]
        return (times[-1] - times[0]) / max(1, len(times) - 1)


def read_recording(path: Path) -> Recording:
    opener = gzip.open if path.suffix == ".gz" else open
    info: ServerInfo | None = None
    anomaly: tuple[str, float] | None = None
    samples: list[Sample] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for raw in fh:
            line = json.loads(raw)
            if "info" in line:
                info = ServerInfo(**line["info"])
                continue
            if "anomaly" in line:
                anomaly = (str(line["anomaly"]), float(line["started"]))
                continue
            sample = sample_of(line["sample"])
            texts = line.get("texts") or {}
            if sample.statements is not None and texts:
                sample.statements = {
                    d: StatementReading(r.counters, *texts[d]) if d in texts else r
                    for d, r in sample.statements.items()
                }
            samples.append(sample)
    assert info is not None, f"{path}: no info line"
    return Recording(info, samples, anomaly)


def restamped(samples: list[Sample], start: float, interval_s: float) -> Iterator[Sample]:
    """The samples on a new clock: ``start``, then one every ``interval_s``."""
    for i, sample in enumerate(samples):
        yield Sample(
            time=start + i * interval_s,
            counters=dict(sample.counters),
            gauges=dict(sample.gauges),
            lock_waits=list(sample.lock_waits),
            statements=None if sample.statements is None else dict(sample.statements),
        )


def slowed(samples: list[Sample], start: int, stop: int, factor: float) -> list[Sample]:
    """The samples with every counter advancing ``factor`` times as fast from ``start`` to ``stop``: the
    whole workload slowed (or sped up) alike, the way a busy neighbour on the host slows it."""
    out: list[Sample] = []
    before: dict[str, float] = {}
    after: dict[str, float] = {}
    for i, sample in enumerate(samples):
        pace = factor if start <= i < stop else 1.0
        counters = {k: after.get(k, v) + (v - before.get(k, v)) * pace for k, v in sample.counters.items()}
        before, after = sample.counters, counters
        out.append(replace(sample, counters=counters))
    return out


@dataclass
class Replay:
    """A ``Collector`` that serves recorded samples; ``lose_at`` drops the connection at that sample."""

    recording: Recording
    lose_at: set[int] = field(default_factory=set)
    offset: int = 0
    served: int = 0
    connects: int = 0
    closed: int = 0
    exhausted: threading.Event = field(default_factory=threading.Event)

    def connect(self) -> ServerInfo:
        self.connects += 1
        return self.recording.info

    def sample(self, now: float) -> Sample:
        index = self.served
        self.served += 1
        if index in self.lose_at:
            raise ConnectionLost("lost the connection to the replay")
        at = self.offset + index
        if at >= len(self.recording.samples) - 1:
            self.exhausted.set()
        source = self.recording.samples[at % len(self.recording.samples)]
        return next(restamped([source], now, 0.0))

    def top_sql(self) -> list[SqlDigest]:
        return []

    def settings(self) -> dict[str, str]:
        return {}

    def table_readings(self) -> list[TableReading]:
        return []

    def table_details(self, names: list[str]) -> list[TableInfo]:
        return []

    def plans(self, statements: list[StatementActivity]) -> list[StatementPlan]:
        return []

    def notes(self) -> list[str]:
        return []

    def close(self) -> None:
        self.closed += 1


class Recorder:
    """Wraps a real collector and writes every sample it returns to ``out`` as it comes (nothing kept)."""

    def __init__(self, inner: Collector, out: IO[str]) -> None:
        self.inner = inner
        self.out = out
        self.count = 0

    def connect(self) -> ServerInfo:
        info = self.inner.connect()
        self.out.write(json.dumps({"info": info.__dict__}) + "\n")
        return info

    def sample(self, now: float) -> Sample:
        sample = self.inner.sample(now)
        texts = {d: [r.text, r.schema] for d, r in (sample.statements or {}).items() if r.text is not None}
        self.out.write(json.dumps({"sample": sample_json(sample), "texts": texts}) + "\n")
        self.out.flush()
        self.count += 1
        return sample

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
