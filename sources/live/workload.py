"""Per-statement and per-table evidence from a run of samples, the same way for every engine.

The collectors read cumulative counters; a diagnosis needs what happened
*during* the capture, and when: each statement's load interval by interval
(so its onset can be set against the anomaly window), the tables the heavy
statements touch, and how those tables' counters moved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from models import (
    SqlDigest,
    StatementActivity,
    StatementCounters,
    StatementSeries,
    TableInfo,
)
from sources.live.sample import Sample, TableReading
from sources.live.sqltext import STAND_IN, Dialect, analyze, canonical, same_table

MAX_STATEMENTS = 20
MAX_TABLES = 12
MAX_PLANS = 5
_FLOAT_FIELDS = frozenset({"total_time_ms", "plan_time_ms", "lock_time_ms"})
# Statements of monitoring tools (this collector included) read the server's own catalogs.
_MONITORING = re.compile(
    r"\b(performance_schema|information_schema|pg_catalog|pg_stat_\w+|pg_locks|pg_settings|sys\s*\.)\b|"
    r"^\s*(show|explain|set|start\s+transaction|rollback|commit|begin|prepare|deallocate)\b",
    re.IGNORECASE,
)


def is_monitoring(text: str) -> bool:
    """A statement reading only server statistics or controlling a session: never an anomaly's cause here."""
    return bool(_MONITORING.search(text))


def _delta(after: dict[str, float], before: dict[str, float] | None) -> dict[str, float] | None:
    """Counter increases; ``None`` when a counter went down (statistics reset, entry evicted)."""
    out: dict[str, float] = {}
    for name, value in after.items():
        prior = (before or {}).get(name, 0.0)
        if value < prior:
            return None
        out[name] = value - prior
    return out


def _counters(values: dict[str, float]) -> StatementCounters:
    fields: dict[str, float | int] = {}
    for name, value in values.items():
        if name in StatementCounters.model_fields:
            fields[name] = max(0.0, value) if name in _FLOAT_FIELDS else round(value)
    return StatementCounters.model_validate(fields)


def _reads(values: dict[str, float]) -> float:
    if "rows_examined" in values:
        return values["rows_examined"]
    return values.get("shared_blks_hit", 0.0) + values.get("shared_blks_read", 0.0)


def _named(read: list[Sample], texts: dict[str, tuple[str, str | None]]) -> list[Sample]:
    """Statements seen running before their server counted them (``sqltext.stand_in``) under the
    digest it then gave them, where their texts agree: one statement, whose load starts where it
    was first seen running. Only the MySQL/MariaDB collector needs stand-ins (PostgreSQL shows a
    running statement's queryid), hence the dialect.
    """
    shapes = {canonical(t, "mysql"): d for d, (t, _) in texts.items() if not d.startswith(STAND_IN)}
    rename = {
        d: shapes[shape]
        for d, (t, _) in texts.items()
        if d.startswith(STAND_IN) and (shape := canonical(t, "mysql")) in shapes
    }
    if not rename:
        return read
    out: list[Sample] = []
    for s in read:
        now = s.statements or {}
        moved = {rename.get(d, d): r for d, r in now.items() if rename.get(d) not in now}
        out.append(replace(s, statements=moved))
    return out


def statement_activity(samples: Sequence[Sample], limit: int = MAX_STATEMENTS) -> list[StatementActivity]:
    """Each statement's load over the capture, busiest first; interval series from consecutive readings.

    A statement first seen mid-capture starts from zero (it had not run, or had been evicted
    and came back, which also starts its counters over).
    """
    read = [s for s in samples if s.statements is not None]
    if len(read) < 2:
        return []
    texts: dict[str, tuple[str, str | None]] = {}
    for s in read:
        for digest, r in (s.statements or {}).items():
            if r.text is not None and digest not in texts:
                texts[digest] = (r.text, r.schema)
    if any(d.startswith(STAND_IN) for d in texts):
        read = _named(read, texts)
    first = read[0].statements or {}
    totals: dict[str, dict[str, float]] = {}
    series: dict[str, list[tuple[float, dict[str, float]]]] = {}
    for prev, cur in pairwise(read):
        before, after = prev.statements or {}, cur.statements or {}
        for digest, reading in after.items():
            step = _delta(reading.counters, before[digest].counters if digest in before else None)
            if step is None:
                continue
            series.setdefault(digest, []).append((cur.time, step))
    last = read[-1].statements or {}
    for digest, reading in last.items():
        total = _delta(reading.counters, first[digest].counters if digest in first else None)
        if total is None:  # reset during the capture: the sum of the intervals is the load
            total = {}
            for _, step in series.get(digest, []):
                for k, v in step.items():
                    total[k] = total.get(k, 0.0) + v
        if total.get("calls", 0.0) > 0 and digest in texts and not is_monitoring(texts[digest][0]):
            totals[digest] = total
    ranked = sorted(totals, key=lambda d: (-totals[d].get("total_time_ms", 0.0), d))[:limit]
    times = [s.time for s in read[1:]]
    out: list[StatementActivity] = []
    for digest in ranked:
        steps = dict(series.get(digest, []))
        rows = [steps.get(t, {}) for t in times]
        out.append(
            StatementActivity(
                digest=digest,
                text=texts[digest][0],
                schema_name=texts[digest][1],
                total=_counters(totals[digest]),
                series=StatementSeries(
                    timestamps=times,
                    calls=[r.get("calls", 0.0) for r in rows],
                    time_ms=[round(r.get("total_time_ms", 0.0), 3) for r in rows],
                    rows=[r.get("rows", 0.0) for r in rows],
                    reads=[_reads(r) for r in rows],
                ),
            )
        )
    return out


def top_sql(activity: Sequence[StatementActivity]) -> list[SqlDigest]:
    """The capture's statements as digests, the form the server-wide rules read."""
    out: list[SqlDigest] = []
    for a in activity:
        t = a.total
        out.append(
            SqlDigest(
                digest=a.digest,
                text=a.text,
                calls=t.calls,
                total_time_ms=t.total_time_ms,
                mean_time_ms=t.total_time_ms / t.calls if t.calls else None,
                rows_examined=t.rows_examined,
                rows_sent=t.rows_sent if t.rows_sent is not None else t.rows,
                rows_affected=t.rows_affected,
                temp_disk_tables=t.tmp_disk_tables,
                no_index_used=t.no_index_used,
                shared_blks_read=t.shared_blks_read,
                shared_blks_hit=t.shared_blks_hit,
                temp_blks_written=t.temp_blks_written,
                plan_time_ms=t.plan_time_ms,
            )
        )
    return out


def tables_touched(
    activity: Sequence[StatementActivity], dialect: Dialect, limit: int = MAX_TABLES
) -> list[str]:
    """The tables the heaviest statements read or write, in order of the statements' load."""
    found: list[str] = []
    for a in activity:
        for table in analyze(a.text, dialect).tables:
            qualified = (
                table
                if "." in table or not a.schema_name or dialect == "postgres"
                else f"{a.schema_name}.{table}"
            )
            if not any(same_table(qualified, f) for f in found):
                found.append(qualified)
    return found[:limit]


def _grew(end: dict[str, float], start: dict[str, float], name: str) -> int | None:
    if name not in end:
        return None
    return max(0, round(end[name] - start.get(name, 0.0)))


def table_infos(
    details: Sequence[TableInfo], start: Sequence[TableReading], end: Sequence[TableReading]
) -> list[TableInfo]:
    """The tables' end-of-capture picture with their access counters turned into capture deltas."""

    def find(readings: Sequence[TableReading], info: TableInfo) -> TableReading | None:
        return next(
            (
                r
                for r in readings
                if r.name == info.name and (not info.schema_name or r.schema == info.schema_name)
            ),
            None,
        )

    out: list[TableInfo] = []
    for info in details:
        e, s = find(end, info), find(start, info)
        if e is None:
            out.append(info)
            continue
        before = s.counters if s is not None else {}
        deltas = {
            "seq_scans_in_capture": _grew(e.counters, before, "seq_scan"),
            "seq_rows_read_in_capture": _grew(e.counters, before, "seq_tup_read"),
            "index_scans_in_capture": _grew(e.counters, before, "idx_scan"),
            "rows_inserted_in_capture": _grew(e.counters, before, "n_tup_ins"),
            "rows_updated_in_capture": _grew(e.counters, before, "n_tup_upd"),
            "rows_deleted_in_capture": _grew(e.counters, before, "n_tup_del"),
            "rows_hot_updated_in_capture": _grew(e.counters, before, "n_tup_hot_upd"),
        }
        scans_before = s.index_scans if s is not None else {}
        indexes = [
            ix.model_copy(
                update={
                    "scans_in_capture": max(0, round(e.index_scans[ix.name] - scans_before.get(ix.name, 0.0)))
                    if ix.name in e.index_scans and s is not None
                    else None
                }
            )
            for ix in info.indexes
        ]
        out.append(info.model_copy(update={**deltas, "indexes": indexes}))
    return out


def plan_candidates(
    activity: Sequence[StatementActivity], dialect: Dialect, limit: int = MAX_PLANS
) -> list[StatementActivity]:
    """The heaviest reads worth an EXPLAIN: plans answer "how does it reach its rows", writes are not explained."""
    return [a for a in activity if analyze(a.text, dialect).statement == "select"][:limit]
