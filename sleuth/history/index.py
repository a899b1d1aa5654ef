"""Exact nearest-neighbour search over signatures, in numpy.

A signature moves ~25 of the graph's ~160 metrics, so each engine's
signatures are kept metric by metric (one contiguous float32 vector per
metric, over all records): a query reads only the vectors of the metrics it
moved and adds them up, which costs records x the query's metrics rather than
records x every metric. Rows are L2-normalised when added, so the sum is the
cosine similarity. On 100,000 signatures (``docs/BENCHMARKS.md``) this takes
1.5 ms median, 6 ms p95, exact; a dense matrix-vector product 11 / 20 ms,
faiss's exact flat index 30 / 48 ms per single query, hnswlib 0.14 / 0.2 ms but
approximate (recall@5 0.999), 18 s to build on every cold start, and a
compiled dependency — for a budget of 50 ms, exact numpy wins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

GROWTH = 1.5
INITIAL_ROWS = 64


@dataclass
class _Block:
    """One engine's signatures: ``columns[metric, row]``, and the record of each row."""

    columns: NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, INITIAL_ROWS), dtype=np.float32)
    )
    records: NDArray[np.int64] = field(default_factory=lambda: np.full(INITIAL_ROWS, -1, dtype=np.int64))
    used: int = 0

    @property
    def capacity(self) -> int:
        return int(self.records.size)


class SignatureIndex:
    """Signatures by record id, searchable per engine; a record added again replaces its old row."""

    def __init__(self) -> None:
        self._metrics: dict[str, int] = {}
        self._blocks: dict[str, _Block] = {}
        self._where: dict[int, tuple[str, int]] = {}

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, record: int) -> bool:
        return record in self._where

    def add(self, record: int, engine: str, signature: Mapping[str, float]) -> None:
        self.add_many([(record, engine, signature)])

    def add_many(self, rows: Sequence[tuple[int, str, Mapping[str, float]]]) -> None:
        """Many (record, engine, signature) at once, written into each engine's block in bulk."""
        for record, _, _ in rows:
            self.remove(record)
        by_engine: dict[str, list[tuple[int, Mapping[str, float]]]] = {}
        for record, engine, signature in rows:
            if any(signature.values()):
                by_engine.setdefault(engine, []).append((record, signature))
        for engine, items in by_engine.items():
            block = self._blocks.setdefault(engine, _Block())
            metrics = self._metrics
            where: list[int] = []
            metric: list[int] = []
            value: list[float] = []
            for offset, (_, sig) in enumerate(items):
                scale = 1.0 / math.sqrt(sum(v * v for v in sig.values()))
                where.extend([block.used + offset] * len(sig))
                metric.extend([metrics.setdefault(m, len(metrics)) for m in sig])
                value.extend([v * scale for v in sig.values()])
            self._reserve(block, block.used + len(items))
            block.columns[np.asarray(metric, dtype=np.int64), np.asarray(where, dtype=np.int64)] = value
            for offset, (record, _) in enumerate(items):
                block.records[block.used + offset] = record
                self._where[record] = (engine, block.used + offset)
            block.used += len(items)

    def remove(self, record: int) -> None:
        """Forget a record; the block's last row moves into its place so the block stays dense."""
        place = self._where.pop(record, None)
        if place is None:
            return
        engine, row = place
        block = self._blocks[engine]
        last = block.used - 1
        if row != last:
            block.columns[:, row] = block.columns[:, last]
            moved = int(block.records[last])
            block.records[row] = moved
            self._where[moved] = (engine, row)
        block.columns[:, last] = 0.0
        block.records[last] = -1
        block.used = last

    def search(
        self, signature: Mapping[str, float], engine: str, k: int, exclude: Iterable[int] = ()
    ) -> list[tuple[int, float]]:
        """Up to ``k`` (record, cosine similarity) of ``engine``, most similar first, similarity > 0."""
        block = self._blocks.get(engine)
        if block is None or block.used == 0 or k <= 0:
            return []
        # the norm counts metrics no stored signature has: they make the query less like every one
        norm = float(np.sqrt(sum(v * v for v in signature.values())))
        known = [(self._metrics[m], v) for m, v in signature.items() if m in self._metrics]
        if norm == 0.0 or not known:
            return []
        scores = np.zeros(block.used, dtype=np.float32)
        for column, v in known:
            if column < block.columns.shape[0]:
                scores += np.float32(v / norm) * block.columns[column, : block.used]
        skip = [self._where[r][1] for r in exclude if r in self._where and self._where[r][0] == engine]
        if skip:
            scores[skip] = -np.inf
        take = min(k, block.used)
        top = np.argpartition(-scores, take - 1)[:take] if take < block.used else np.arange(block.used)
        ordered = sorted(
            ((int(block.records[i]), float(scores[i])) for i in top if scores[i] > 0.0),
            key=lambda pair: (-pair[1], pair[0]),
        )
        return [(record, round(similarity, 4)) for record, similarity in ordered]

    def state(self) -> tuple[list[str], dict[str, tuple[NDArray[np.float32], NDArray[np.int64]]]]:
        """The metrics in column order and, per engine, its (metrics x rows) block and row records."""
        metrics = sorted(self._metrics, key=self._metrics.__getitem__)
        return metrics, {e: (b.columns[:, : b.used], b.records[: b.used]) for e, b in self._blocks.items()}

    @classmethod
    def from_state(
        cls, metrics: Sequence[str], blocks: Mapping[str, tuple[NDArray[np.float32], NDArray[np.int64]]]
    ) -> SignatureIndex:
        """An index as ``state`` described it (a cache read back)."""
        index = cls()
        index._metrics = {m: i for i, m in enumerate(metrics)}
        for engine, (columns, records) in blocks.items():
            block = _Block(
                columns=np.array(columns, dtype=np.float32, copy=True),
                records=np.array(records, dtype=np.int64, copy=True),
                used=int(records.size),
            )
            index._blocks[engine] = block
            index._where.update((int(r), (engine, row)) for row, r in enumerate(block.records.tolist()))
        return index

    def _reserve(self, block: _Block, rows: int) -> None:
        """Room for ``rows`` records and for every metric known so far."""
        capacity = block.capacity
        while capacity < rows:
            capacity = int(capacity * GROWTH) + 1
        metrics = max(block.columns.shape[0], len(self._metrics))
        if capacity == block.capacity and metrics == block.columns.shape[0]:
            return
        columns = np.zeros((metrics, capacity), dtype=np.float32)
        columns[: block.columns.shape[0], : block.used] = block.columns[:, : block.used]
        records = np.full(capacity, -1, dtype=np.int64)
        records[: block.used] = block.records[: block.used]
        block.columns, block.records = columns, records
