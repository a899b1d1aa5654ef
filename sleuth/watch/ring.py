"""The watcher's memory of recent samples: bounded in time and in bytes, whatever the server holds.

A sample is a few hundred counters and, every sample, the counters of up to
200 statements: kept as Python dicts, fifteen minutes of one server would
take hundreds of megabytes. So each sample is packed (the names shared
between samples, the values in one float64 array) and, once older than the
detection view, keeps its statements only every ``THIN``-th sample: the
baseline of a statement's load needs its level, not every second of it.
Past the view a sample's values are also compressed: most counters of an
idle stretch repeat or barely move, so zlib keeps about a tenth of the
bytes, and a sample is read back only when an incident takes its baseline.

Statement texts come with a statement's first reading only (the collectors
read each text once); the ring keeps them apart, so any slice of it can be
turned back into samples that name their statements.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np
from numpy.typing import NDArray

from models import LockWait
from sources.live.sample import Sample, StatementReading

THIN = 10
MAX_TEXTS = 4000

Names = tuple[str, ...]


class _Interner:
    """One tuple object per distinct name list: consecutive samples share their names."""

    def __init__(self) -> None:
        self._last: dict[int, Names] = {}

    def __call__(self, names: Iterable[str], slot: int) -> Names:
        key = tuple(names)
        last = self._last.get(slot)
        if last == key:
            return last
        self._last[slot] = key
        return key


@dataclass(frozen=True, eq=False)
class Packed:
    """One sample as the ring keeps it; ``gap`` says what happened between it and the one before."""

    time: float
    counter_names: Names
    counters: NDArray[np.float64]
    gauge_names: Names
    gauges: NDArray[np.float64]
    lock_waits: tuple[LockWait, ...] = ()
    statement_ids: Names | None = None
    statement_names: Names = ()
    statements: NDArray[np.float64] | None = None
    gap: str | None = None

    def thinned(self) -> Packed:
        return Packed(
            self.time,
            self.counter_names,
            self.counters,
            self.gauge_names,
            self.gauges,
            self.lock_waits,
            gap=self.gap,
        )

    def nbytes(self) -> int:
        extra = 0 if self.statements is None else self.statements.nbytes
        return int(self.counters.nbytes + self.gauges.nbytes + extra)

    def frozen(self) -> _Frozen:
        parts = [self.counters, self.gauges]
        if self.statements is not None:
            parts.append(self.statements.ravel())
        blob = zlib.compress(np.concatenate(parts).tobytes(), 1)
        empty = np.empty(0, np.float64)
        shell = replace(self, counters=empty, gauges=empty, statements=None)
        return _Frozen(
            self.time, shell, blob, len(self.counters), len(self.gauges), self.statements is not None
        )


@dataclass(frozen=True, eq=False)
class _Frozen:
    """A packed sample with its values compressed; ``thawed`` gives the sample back exactly."""

    time: float
    shell: Packed
    blob: bytes
    counters: int
    gauges: int
    has_statements: bool

    def thawed(self) -> Packed:
        values = np.frombuffer(zlib.decompress(self.blob), np.float64)
        c, g = self.counters, self.gauges
        table = None
        if self.has_statements:
            shape = (len(self.shell.statement_ids or ()), len(self.shell.statement_names))
            table = values[c + g :].reshape(shape)
        return replace(self.shell, counters=values[:c], gauges=values[c : c + g], statements=table)

    def nbytes(self) -> int:
        return len(self.blob)


class Texts:
    """Statement texts (masked) and schemas by digest; the least recently seen go first past ``limit``."""

    def __init__(self, limit: int = MAX_TEXTS) -> None:
        self._texts: OrderedDict[str, tuple[str, str | None]] = OrderedDict()
        self._limit = limit

    def learn(self, sample: Sample) -> None:
        for digest, reading in (sample.statements or {}).items():
            if reading.text is not None:
                self._texts[digest] = (reading.text, reading.schema)
                self._texts.move_to_end(digest)
        while len(self._texts) > self._limit:
            self._texts.popitem(last=False)

    def get(self, digest: str) -> tuple[str, str | None] | None:
        return self._texts.get(digest)

    def items(self) -> list[tuple[str, tuple[str, str | None]]]:
        return list(self._texts.items())

    def restore(self, items: Iterable[tuple[str, tuple[str, str | None]]]) -> None:
        for digest, found in items:
            self._texts[digest] = found


class Packer:
    """Packs samples of one server (sharing names between consecutive samples) and unpacks them."""

    def __init__(self) -> None:
        self._intern = _Interner()

    def pack(self, sample: Sample, gap: str | None = None) -> Packed:
        statement_ids: Names | None = None
        statement_names: Names = ()
        table: NDArray[np.float64] | None = None
        if sample.statements is not None:
            statement_ids = self._intern(sample.statements, 2)
            statement_names = self._intern(
                sorted({k for r in sample.statements.values() for k in r.counters}), 3
            )
            table = np.full((len(statement_ids), len(statement_names)), np.nan)
            column = {name: j for j, name in enumerate(statement_names)}
            for i, digest in enumerate(statement_ids):
                for name, value in sample.statements[digest].counters.items():
                    table[i, column[name]] = value
        return Packed(
            time=sample.time,
            counter_names=self._intern(sample.counters, 0),
            counters=np.fromiter(sample.counters.values(), np.float64, len(sample.counters)),
            gauge_names=self._intern(sample.gauges, 1),
            gauges=np.fromiter(sample.gauges.values(), np.float64, len(sample.gauges)),
            lock_waits=tuple(sample.lock_waits),
            statement_ids=statement_ids,
            statement_names=statement_names,
            statements=table,
            gap=gap,
        )


def unpack(packed: Packed, texts: Texts | None = None) -> Sample:
    """The sample as the collector gave it; with ``texts``, every statement carries its text."""
    statements: dict[str, StatementReading] | None = None
    if packed.statement_ids is not None and packed.statements is not None:
        statements = {}
        for i, digest in enumerate(packed.statement_ids):
            row = packed.statements[i]
            counters = {name: float(v) for name, v in zip(packed.statement_names, row, strict=True) if v == v}
            known = texts.get(digest) if texts is not None else None
            statements[digest] = StatementReading(
                counters, None if known is None else known[0], None if known is None else known[1]
            )
    return Sample(
        time=packed.time,
        counters=dict(zip(packed.counter_names, packed.counters.tolist(), strict=True)),
        gauges=dict(zip(packed.gauge_names, packed.gauges.tolist(), strict=True)),
        lock_waits=list(packed.lock_waits),
        statements=statements,
    )


class Ring:
    """The last ``span_s`` seconds of samples; statements thinned beyond the last ``full`` samples."""

    def __init__(self, span_s: float, interval_s: float, full: int) -> None:
        self.span_s = span_s
        self._full = max(1, full)
        # Room for a sample every interval, plus slack for the odd early one.
        self._items: deque[Packed | _Frozen] = deque(maxlen=int(span_s / interval_s) + 8)
        self._added = 0

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Packed]:
        return (_open(p) for p in self._items)

    def add(self, packed: Packed) -> None:
        self._items.append(packed)
        self._added += 1
        while self._items and packed.time - self._items[0].time > self.span_s:
            self._items.popleft()
        if len(self._items) > self._full:
            at = len(self._items) - 1 - self._full
            old = self._items[at]
            if isinstance(old, Packed):
                if old.statements is not None and (self._added - 1 - self._full) % THIN:
                    old = old.thinned()
                self._items[at] = old.frozen()

    def last(self) -> Packed | None:
        return _open(self._items[-1]) if self._items else None

    def since(self, time: float) -> list[Packed]:
        """Samples at or after ``time``, oldest first."""
        return [_open(p) for p in self._items if p.time >= time]

    def tail(self, count: int) -> list[Packed]:
        start = max(0, len(self._items) - count)
        return [_open(p) for p in islice(self._items, start, None)]

    def nbytes(self) -> int:
        return sum(p.nbytes() for p in self._items)


def _open(item: Packed | _Frozen) -> Packed:
    return item.thawed() if isinstance(item, _Frozen) else item
