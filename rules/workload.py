"""Statement, table and index evidence as observation facts: which query, on which table, what to change.

Server-wide counters cannot tell a scan that an index would fix from a scan
of a bloated table, or a full fetch that no index can serve. These facts can,
because they join what the rules cannot: each statement's load before and
during the anomaly window (PinSQL's distinction between statements that
*cause* an anomaly, whose share of a resource rose at its onset, and those
that only *suffer* it, which merely got slower), its parsed predicates against
the indexes of the tables it touches, those tables' dead rows and vacuum
state, and its plan.

Names and attributes (numbers unless marked):

``statement`` — one per heavy statement (at most ``STATEMENT_LIMIT``): digest, text,
    statement (string kind), table (main table), calls, mean_ms, rows_per_call,
    share_of_time; PostgreSQL blocks_per_call, blocks_per_row, wal_bytes_per_row,
    dirtied_per_row and blocks read, dirtied, written, temp blocks and WAL bytes per call;
    MySQL rows_examined_per_call, rows_examined_per_row, no_index_share, lock_time_share,
    temporary disk tables and sort merge passes per call;
    shape flags and counts (has_where, has_limit, aggregates, joins, joins_without_equality,
    subqueries, correlated_subquery, max_in_list); plan flags (plan_seq_scan,
    plan_subplan, plan_nested_loop_scan); and, given a window, role (string: cause |
    victim | steady), rose_with_window (flag), started_in_window (flag), share_before,
    share_in_window, load_ratio, calls_ratio, mean_ratio.
``table`` — one per table the heavy statements touch: table, live_rows, dead_rows,
    dead_ratio, autovacuum_enabled (flag), vacuum_trigger_rows, vacuum_behind (flag),
    seq_scans, seq_rows_read, index_scans, writes, updates, hot_update_share, indexes,
    unused_indexes, redundant_indexes, excess_indexes (unused or redundant, once each),
    read_by_rising_statement and
    written_by_rising_statement (flags) with that statement's digest and text.
``index_candidate`` — a rising statement's filter or join columns on a table that no
    index leads with: table, columns, op, join (flag), in_correlated_subquery (flag),
    function (string, when the column is wrapped), table_rows and the statement's load.
``redundant_index`` — an index that duplicates or prefixes another, or is never used:
    table, index, columns, kind (string: duplicate | overlap | unused), scans,
    table_writes, table_indexes, written_by_rising_statement (flag).
``workload`` — one: statements, rising_statements and, when the tables of the statements
    doing a tenth or more of the capture's reads are known, index_gap (flag: one of them
    filters on columns no index serves; false means no index is missing for the reads).

Facts that name a subject carry ``digest``/``text``, ``table``, ``index`` (or
``excess_index_names``, comma separated) and, for the fix, ``fix_<remediation id>``: SQL to
consider for that graph remediation, ``; `` separated, never run. ``name_subjects`` turns them
into a finding's subjects and its remediations' statements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models import (
    CauseFinding,
    Evidence,
    Fact,
    Incident,
    IndexInfo,
    StatementActivity,
    StatementPlan,
    Subject,
    TableInfo,
    TimeWindow,
)

if TYPE_CHECKING:
    from sources.live.sqltext import ColumnUse, Dialect, SqlAnalysis

# The statement parser (sqlglot, and the live collectors' package around it) is imported where a
# statement or a table is read: a capture with only metric series never pays for loading it.

SOURCE = "observations"
STATEMENT_LIMIT = 10
TEXT_LIMIT = 300
# A statement's share of a resource must rise by this part of what the others held, and reach it,
# to be a cause.
SHARE_RISE = 0.1
# ... and its own use at least double: a share can rise only because everything else fell.
LOAD_RISE = 2.0
# A victim's calls barely changed while each call got this much slower.
SLOWER = 1.5
# Statements doing this share of the capture's reads are the ones a scan could come from.
READ_SHARE = 0.1
# Autovacuum's defaults: a table is vacuumed once dead rows pass 50 + 20 % of its rows.
VACUUM_THRESHOLD = 50.0
VACUUM_SCALE = 0.2
VACUUM_NAPTIME_S = 60.0
FIX = "fix_"
# The numbers a subject shows, most telling first, per kind of fact that names it.
SHOWN: dict[str, tuple[str, ...]] = {
    "statement": (
        "calls", "mean_ms", "rows_per_call", "share_before", "share_in_window", "load_ratio",
        "blocks_per_call", "rows_examined_per_call", "wal_bytes_per_row",
    ),
    "index_candidate": (
        "table_rows", "calls", "mean_ms", "share_in_window", "blocks_per_call", "blocks_per_row",
        "rows_examined_per_call", "rows_examined_per_row",
    ),
    "table": (
        "live_rows", "dead_rows", "dead_ratio", "vacuum_trigger_rows", "seq_scans", "indexes",
        "excess_indexes", "writes",
    ),
    "redundant_index": ("scans", "size_bytes", "table_writes", "table_indexes"),
    "lock_waits": ("count", "sessions_waiting", "max_wait_s", "blockers"),
}  # fmt: skip
Attrs = dict[str, float | str | bool]


@dataclass(frozen=True)
class Onset:
    """A statement's load outside and inside the anomaly window."""

    role: str
    share_before: float
    share_in_window: float
    load_ratio: float
    calls_ratio: float
    mean_ratio: float
    started: bool


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class _Halves:
    """One measure of one statement summed outside and inside the window, with the interval counts."""

    before: float
    during: float
    n_before: int
    n_during: int

    @property
    def rate_before(self) -> float:
        return self.before / self.n_before

    @property
    def rate_during(self) -> float:
        return self.during / self.n_during


def _halves(a: StatementActivity, measure: str, window: TimeWindow) -> _Halves:
    """The measure summed outside and inside the window, the interval at each edge left out.

    A window's edges are uncertain by one sampling interval: a rate read at the first sample
    after the onset straddles it, and an inferred window's boundary lands on either side of
    that sample. The interval just outside each edge is neither the normal before nor the
    anomaly, so it counts for neither (unless nothing else is outside).
    """
    values: list[float] = getattr(a.series, measure)
    times = a.series.timestamps
    inside = [k for k, t in enumerate(times) if window.start <= t <= window.end]
    outside = [k for k, t in enumerate(times) if not window.start <= t <= window.end]
    if inside:
        edges = (inside[0] - 1, inside[-1] + 1)
        outside = [k for k in outside if k not in edges] or outside
    return _Halves(sum(values[k] for k in outside), sum(values[k] for k in inside), len(outside), len(inside))


def _in_window(a: StatementActivity, window: TimeWindow) -> float:
    return _halves(a, "time_ms", window).during


def onsets(statements: Sequence[StatementActivity], window: TimeWindow | None) -> dict[str, Onset]:
    """Each statement's role in the window: its share of time and of reads before and during it.

    Two resources are weighed, time and reads (buffer blocks or rows examined), because a
    statement can take the reads (a scan) while others take the time (waiting behind it). A
    statement without intervals on both sides of the window has no onset to judge.
    """
    if window is None:
        return {}
    timed = [a for a in statements if (h := _halves(a, "calls", window)).n_before and h.n_during]
    resources = ("time_ms", "reads")
    halves = {a.digest: {r: _halves(a, r, window) for r in (*resources, "calls")} for a in timed}
    totals = {
        r: (sum(h[r].before for h in halves.values()), sum(h[r].during for h in halves.values()))
        for r in resources
    }
    out: dict[str, Onset] = {}
    for a in timed:
        mine = halves[a.digest]
        share_before, share_in, ratio = _taken(mine, totals, resources)
        time, calls = mine["time_ms"], mine["calls"]
        mean_ratio = (
            (time.during / calls.during) / (time.before / calls.before)
            if calls.before > 0 and calls.during > 0 and time.before > 0
            else 1.0
        )
        calls_ratio = (calls.rate_during + 0.01) / (calls.rate_before + 0.01)
        started = calls.before == 0 and calls.during > 0
        rose = started or _rose(share_before, share_in, ratio)
        if rose and share_in >= SHARE_RISE:
            role = "cause"
        elif mean_ratio >= SLOWER and calls_ratio < SLOWER:
            role = "victim"
        else:
            role = "steady"
        out[a.digest] = Onset(
            role=role,
            share_before=round(share_before, 4),
            share_in_window=round(share_in, 4),
            load_ratio=round(min(ratio, 1e6), 4),
            calls_ratio=round(min(calls_ratio, 1e6), 4),
            mean_ratio=round(mean_ratio, 4),
            started=started,
        )
    return out


def _rose(share_before: float, share_in: float, ratio: float) -> bool:
    """The load grew and the share closed a tenth of its gap to the whole: 0 -> 0.1 counts, and so
    does a statement that already dominated a quiet baseline (0.90 -> 0.99) while its load grew."""
    return ratio >= LOAD_RISE and share_in - share_before >= SHARE_RISE * (1.0 - share_before)


def _taken(
    mine: dict[str, _Halves], totals: dict[str, tuple[float, float]], resources: Sequence[str]
) -> tuple[float, float, float]:
    """A statement's share of the load before and in the window, and how its load grew.

    Each resource is weighed, so a scan that takes the reads while others take the time counts
    too. Of the resources whose share rose, the one the statement took most of in the window
    speaks for it: a join that took nearly all the time while a steady write load kept most of
    the reads took over the window, whichever share rose further. When none rose, the largest
    rise is the one shown.
    """
    moves = []
    for r in resources:
        h, (all_before, all_during) = mine[r], totals[r]
        sb = h.before / all_before if all_before > 0 else 0.0
        sw = h.during / all_during if all_during > 0 else 0.0
        floor = max(all_before / h.n_before, all_during / h.n_during) * 0.01
        ratio = (h.rate_during + floor) / (h.rate_before + floor) if floor > 0 else 0.0
        moves.append((sb, sw, ratio))
    risen = [m for m in moves if _rose(*m)]
    if risen:
        return max(risen, key=lambda m: m[1])
    return max(moves, key=lambda m: m[1] - m[0])


def _table_of(name: str | None, tables: Sequence[TableInfo]) -> TableInfo | None:
    if not name:
        return None
    from sources.live.sqltext import same_table

    return next((t for t in tables if same_table(t.qualified, name) or same_table(t.name, name)), None)


def _schema(tables: Sequence[TableInfo]) -> dict[str, list[str]]:
    return {t.qualified: t.columns for t in tables if t.columns}


def _served(column: str, table: TableInfo) -> bool:
    """An index whose first key column is ``column`` can look the predicate up."""
    return any(ix.columns and ix.columns[0].lower() == column for ix in table.indexes)


def _plan(plans: Sequence[StatementPlan], digest: str) -> StatementPlan | None:
    return next((p for p in plans if p.digest == digest), None)


def _plan_flags(plan: StatementPlan | None, table: str | None) -> Attrs:
    if plan is None:
        return {}
    from sources.live.sqltext import same_table

    scans = [n for n in plan.nodes if n.node_type == "Seq Scan"]
    inner_scan = any(n.node_type == "Seq Scan" and n.parent == "Inner" for n in plan.nodes)
    loops = any(
        n.node_type == "Nested Loop" or (n.join_type or "").upper() in ("BNL", "BNLH") for n in plan.nodes
    )
    return {
        "plan_seq_scan": any(
            table is not None and n.relation and same_table(n.relation, table) for n in scans
        ),
        "plan_subplan": any(n.parent == "SubPlan" for n in plan.nodes),
        "plan_nested_loop_scan": loops and inner_scan,
    }


def _statement_attrs(
    a: StatementActivity,
    shape: SqlAnalysis,
    onset: Onset | None,
    total_ms: float,
    tables: Sequence[TableInfo],
    plans: Sequence[StatementPlan],
) -> Attrs:
    t = a.total
    calls = max(t.calls, 1)
    rows = float(t.rows if t.rows is not None else (t.rows_sent or 0) + (t.rows_affected or 0))
    attrs: Attrs = {
        "digest": a.digest,
        "text": _clip(a.text),
        "statement": shape.statement,
        "table": main.qualified
        if (main := _table_of(shape.target, tables)) is not None
        else shape.target or "",
        "calls": float(t.calls),
        "total_time_ms": round(t.total_time_ms, 3),
        "mean_ms": round(t.total_time_ms / calls, 4),
        "rows_per_call": round(rows / calls, 4),
        "share_of_time": round(t.total_time_ms / total_ms, 4) if total_ms > 0 else 0.0,
        "has_where": shape.has_where,
        "has_limit": shape.has_limit,
        "aggregates": shape.aggregates,
        "joins": float(shape.joins),
        "joins_without_equality": float(shape.joins_without_equality),
        "subqueries": float(shape.subqueries),
        "correlated_subquery": shape.correlated_subquery,
        "max_in_list": float(shape.max_in_list),
        "boolean_terms": float(shape.boolean_terms),
    }
    if t.shared_blks_hit is not None or t.shared_blks_read is not None:
        blocks = float((t.shared_blks_hit or 0) + (t.shared_blks_read or 0))
        attrs["blocks_per_call"] = round(blocks / calls, 4)
        attrs["blocks_per_row"] = round(blocks / max(rows, 1.0), 4)
    if t.wal_bytes is not None and rows > 0:
        attrs["wal_bytes_per_row"] = round(t.wal_bytes / rows, 4)
    if t.shared_blks_dirtied is not None and rows > 0:
        attrs["dirtied_per_row"] = round(t.shared_blks_dirtied / rows, 4)
    if t.rows_examined is not None:
        attrs["rows_examined_per_call"] = round(t.rows_examined / calls, 4)
        attrs["rows_examined_per_row"] = round(t.rows_examined / max(rows, 1.0), 4)
    if t.no_index_used is not None:
        attrs["no_index_share"] = round(min(t.no_index_used / calls, 1.0), 4)
    if t.lock_time_ms is not None and t.total_time_ms > 0:
        attrs["lock_time_share"] = round(min(t.lock_time_ms / t.total_time_ms, 1.0), 4)
    # The rest of the engine's counters, per call, as the evidence shows them.
    for name, value in (
        ("blks_read_per_call", t.shared_blks_read),
        ("blks_dirtied_per_call", t.shared_blks_dirtied),
        ("blks_written_per_call", t.shared_blks_written),
        (
            "temp_blks_per_call",
            None if t.temp_blks_read is None else t.temp_blks_read + (t.temp_blks_written or 0),
        ),
        ("wal_bytes_per_call", t.wal_bytes),
        ("tmp_disk_per_call", t.tmp_disk_tables),
        ("sort_merge_passes_per_call", t.sort_merge_passes),
    ):
        if value is not None:
            attrs[name] = round(value / calls, 4)
    if main is not None:
        attrs["function_on_indexed_column"] = any(
            p.function is not None and _served(p.column, main)
            for p in shape.predicate_columns(main.qualified)
        )
    attrs.update(_plan_flags(_plan(plans, a.digest), shape.target))
    if onset is not None:
        attrs.update(
            {
                "role": onset.role,
                "rose_with_window": onset.role == "cause",
                "started_in_window": onset.started,
                "share_before": onset.share_before,
                "share_in_window": onset.share_in_window,
                "load_ratio": onset.load_ratio,
                "calls_ratio": onset.calls_ratio,
                "mean_ratio": onset.mean_ratio,
            }
        )
    return attrs


def _statement_text(attrs: Attrs) -> str:
    role = attrs.get("role")
    when = f", {role}" + (
        f" (share {attrs['share_before']:.0%} -> {attrs['share_in_window']:.0%})" if role else ""
    )
    return (
        f"statement {attrs['digest']} ({attrs['statement']} on {attrs['table'] or '?'}): "
        f"{attrs['calls']:g} calls, {attrs['mean_ms']:g} ms each, {attrs['rows_per_call']:g} rows per call"
        f"{when if role else ''}: {_clip(str(attrs['text']), 100)}"
    )


@dataclass(frozen=True)
class _Statement:
    activity: StatementActivity
    shape: SqlAnalysis
    onset: Onset | None

    @property
    def rising(self) -> bool:
        return self.onset is not None and self.onset.role == "cause"


def _unused(ix: IndexInfo) -> bool:
    if ix.primary or ix.unique:
        return False
    if ix.scans is not None:
        return ix.scans == 0
    return ix.scans_in_capture == 0


def _redundancy(table: TableInfo) -> list[tuple[IndexInfo, str, str]]:
    """(index, kind, covering index) for duplicates and left prefixes of another index."""
    found: list[tuple[IndexInfo, str, str]] = []
    for ix in table.indexes:
        if ix.primary or ix.unique or not ix.columns:
            continue
        for other in table.indexes:
            if other.name == ix.name or not other.columns:
                continue
            if other.columns == ix.columns and (other.primary or other.unique or other.name < ix.name):
                found.append((ix, "duplicate", other.name))
                break
            if len(other.columns) > len(ix.columns) and other.columns[: len(ix.columns)] == ix.columns:
                found.append((ix, "overlap", other.name))
                break
    return found


class _Builder:
    def __init__(self, incident: Incident, window: TimeWindow | None, settings: Mapping[str, float]) -> None:
        from sources.live.sqltext import analyze, dialect_of

        self.incident = incident
        self.settings = settings
        self.dialect: Dialect = dialect_of(incident.instance.engine)
        self.tables = incident.tables
        schema = _schema(self.tables)
        ranked = _rank(incident.statements, window)[:STATEMENT_LIMIT]
        found = onsets(incident.statements, window)
        self.statements = [
            _Statement(a, analyze(a.text, self.dialect, schema), found.get(a.digest)) for a in ranked
        ]
        self.total_ms = sum(a.total.total_time_ms for a in incident.statements)

    def statement_facts(self) -> list[Fact]:
        out: list[Fact] = []
        for s in self.statements:
            attrs = _statement_attrs(
                s.activity, s.shape, s.onset, self.total_ms, self.tables, self.incident.plans
            )
            out.append(
                Fact(
                    kind="observation",
                    name="statement",
                    attrs=attrs,
                    source=SOURCE,
                    text=_statement_text(attrs),
                )
            )
        return out

    def _touching(self, table: TableInfo, *, write: bool) -> _Statement | None:
        """The heaviest rising statement that reads (or writes) the table."""
        from sources.live.sqltext import same_table

        for s in self.statements:
            if not s.rising:
                continue
            writes = s.shape.statement in ("insert", "update", "delete") and s.shape.target is not None
            if write and writes and same_table(str(s.shape.target), table.qualified):
                return s
            reads = any(same_table(t, table.qualified) for t in s.shape.tables)
            if not write and reads and not (writes and same_table(str(s.shape.target), table.qualified)):
                return s
        return None

    def table_facts(self) -> list[Fact]:
        threshold = self.settings.get("autovacuum_vacuum_threshold", VACUUM_THRESHOLD)
        scale = self.settings.get("autovacuum_vacuum_scale_factor", VACUUM_SCALE)
        naptime_s = self.settings.get("autovacuum_naptime", VACUUM_NAPTIME_S * 1000.0) / 1000.0
        end = max((t for a in self.incident.statements for t in a.series.timestamps), default=None)
        out: list[Fact] = []
        for t in self.tables:
            attrs: Attrs = {"table": t.qualified, "indexes": float(len(t.indexes))}
            for key, value in (
                ("size_bytes", t.size_bytes),
                ("live_rows", t.live_rows),
                ("dead_rows", t.dead_rows),
                ("seq_scans", t.seq_scans_in_capture),
                ("seq_rows_read", t.seq_rows_read_in_capture),
                ("index_scans", t.index_scans_in_capture),
                ("updates", t.rows_updated_in_capture),
                ("deletes", t.rows_deleted_in_capture),
                ("inserts", t.rows_inserted_in_capture),
            ):
                if value is not None:
                    attrs[key] = float(value)
            writes = [
                v
                for v in (t.rows_inserted_in_capture, t.rows_updated_in_capture, t.rows_deleted_in_capture)
                if v is not None
            ]
            if writes:
                attrs["writes"] = float(sum(writes))
            if t.rows_updated_in_capture and t.rows_hot_updated_in_capture is not None:
                attrs["hot_update_share"] = round(
                    t.rows_hot_updated_in_capture / t.rows_updated_in_capture, 4
                )
            if t.autovacuum_enabled is not None:
                attrs["autovacuum_enabled"] = t.autovacuum_enabled
            if t.live_rows is not None and t.dead_rows is not None:
                attrs["dead_ratio"] = round(t.dead_rows / max(t.live_rows + t.dead_rows, 1), 4)
                trigger = threshold + scale * t.live_rows
                attrs["vacuum_trigger_rows"] = round(trigger, 1)
                vacuumed = max((v for v in (t.last_vacuum, t.last_autovacuum) if v is not None), default=None)
                stale = vacuumed is None or end is None or end - vacuumed > 2 * naptime_s
                # Past the trigger and no vacuum for two naps: autovacuum is off, throttled or blocked.
                attrs["vacuum_behind"] = t.dead_rows > trigger and (t.autovacuum_enabled is False or stale)
            unused = [ix for ix in t.indexes if _unused(ix)]
            redundant = _redundancy(t)
            attrs["unused_indexes"] = float(len(unused))
            attrs["redundant_indexes"] = float(len(redundant))
            # Indexes every write maintains for nothing: unused, or duplicating another (counted once).
            attrs["excess_indexes"] = float(
                len({ix.name for ix in unused} | {ix.name for ix, _, _ in redundant})
            )
            reader, writer = self._touching(t, write=False), self._touching(t, write=True)
            attrs["read_by_rising_statement"] = reader is not None
            attrs["written_by_rising_statement"] = writer is not None
            blamed = reader or writer
            if blamed is not None:
                attrs["digest"] = blamed.activity.digest
                attrs["text"] = _clip(blamed.activity.text)
            if self.dialect == "postgres":
                fixes = [f"VACUUM (VERBOSE, ANALYZE) {t.qualified}"]
                if t.autovacuum_enabled is False:
                    fixes.append(f"ALTER TABLE {t.qualified} RESET (autovacuum_enabled)")
                attrs[f"{FIX}vacuum_bloated_tables"] = "; ".join(fixes)
            excess = [
                ix
                for ix in t.indexes
                if ix.name in {i.name for i in unused} | {i.name for i, _, _ in redundant}
            ]
            if excess:
                attrs["excess_index_names"] = ", ".join(ix.name for ix in excess)
                attrs[f"{FIX}drop_redundant_indexes"] = "; ".join(
                    _drop_index(self.dialect, t, ix) for ix in excess
                )
            text = (
                f"table {t.qualified}: {t.live_rows} live, {t.dead_rows} dead rows"
                + (f" ({attrs['dead_ratio']:.0%} dead)" if "dead_ratio" in attrs else "")
                + f", {len(t.indexes)} indexes ({len(unused)} unused)"
                + (", autovacuum off" if t.autovacuum_enabled is False else "")
            )
            out.append(Fact(kind="observation", name="table", attrs=attrs, source=SOURCE, text=text))
        return out

    def index_candidates(self) -> list[tuple[_Statement, TableInfo, list[ColumnUse]]]:
        found: list[tuple[_Statement, TableInfo, list[ColumnUse]]] = []
        for s in self.statements:
            for name in s.shape.tables:
                table = _table_of(name, self.tables)
                if table is None:
                    continue
                uses = [u for u in s.shape.predicate_columns(table.qualified) if _indexable(u)]
                if not uses or any(_served(u.column, table) and u.function is None for u in uses):
                    continue
                found.append((s, table, uses))
        return found

    def index_candidate_facts(self) -> list[Fact]:
        from sources.live.sqltext import same_table

        out: list[Fact] = []
        for s, table, uses in self.index_candidates():
            columns = list(
                dict.fromkeys([u.column for u in uses if u.op in ("eq", "in")] + [u.column for u in uses])
            )[:3]
            correlated = (
                any(same_table(table.qualified, t) for t in s.shape.tables[1:])
                and s.shape.correlated_subquery
            )
            attrs: Attrs = {
                "digest": s.activity.digest,
                "text": _clip(s.activity.text),
                "statement": s.shape.statement,
                "table": table.qualified,
                "columns": ", ".join(columns),
                "op": uses[0].op,
                "join": any(u.join for u in uses),
                "in_correlated_subquery": correlated,
                f"{FIX}add_missing_index": _create_index(self.dialect, table, columns),
            }
            if table.live_rows is not None:
                attrs["table_rows"] = float(table.live_rows)
            statement = _statement_attrs(
                s.activity, s.shape, s.onset, self.total_ms, self.tables, self.incident.plans
            )
            for key in (
                "calls", "mean_ms", "rows_per_call", "share_of_time", "blocks_per_call", "blocks_per_row",
                "rows_examined_per_call", "rows_examined_per_row", "no_index_share", "plan_seq_scan",
                "role", "rose_with_window", "share_in_window", "load_ratio",
            ):  # fmt: skip
                if key in statement:
                    attrs[key] = statement[key]
            text = f"{s.shape.statement} on {table.qualified} filters on ({attrs['columns']}) with no index leading with it"
            out.append(
                Fact(kind="observation", name="index_candidate", attrs=attrs, source=SOURCE, text=text)
            )
        return out

    def redundant_index_facts(self) -> list[Fact]:
        out: list[Fact] = []
        for t in self.tables:
            writer = self._touching(t, write=True)
            writes = sum(
                v or 0
                for v in (t.rows_inserted_in_capture, t.rows_updated_in_capture, t.rows_deleted_in_capture)
            )
            flagged = [(ix, kind, other) for ix, kind, other in _redundancy(t)]
            flagged += [
                (ix, "unused", "") for ix in t.indexes if _unused(ix) and all(ix is not f[0] for f in flagged)
            ]
            for ix, kind, other in flagged:
                attrs: Attrs = {
                    "table": t.qualified,
                    "index": ix.name,
                    "columns": ", ".join(ix.columns),
                    "kind": kind,
                    "table_writes": float(writes),
                    "table_indexes": float(len(t.indexes)),
                    "written_by_rising_statement": writer is not None,
                    f"{FIX}drop_redundant_indexes": _drop_index(self.dialect, t, ix),
                }
                if other:
                    attrs["covered_by"] = other
                if ix.scans is not None:
                    attrs["scans"] = float(ix.scans)
                if ix.size_bytes is not None:
                    attrs["size_bytes"] = float(ix.size_bytes)
                if writer is not None:
                    attrs["digest"] = writer.activity.digest
                    attrs["text"] = _clip(writer.activity.text)
                text = f"index {ix.name} on {t.qualified} ({attrs['columns']}) is {kind}" + (
                    f" (covered by {other})" if other else ""
                )
                out.append(
                    Fact(kind="observation", name="redundant_index", attrs=attrs, source=SOURCE, text=text)
                )
        return out

    def workload_fact(self) -> Fact | None:
        if not self.statements:
            return None
        rising = [s for s in self.statements if s.rising]
        attrs: Attrs = {"statements": float(len(self.statements)), "rising_statements": float(len(rising))}
        # Whether an index could be missing is a question about the statements that do the reading,
        # over the whole capture: it must not depend on which part of the anomaly a window covers.
        readers = _readers([s.activity for s in self.statements])
        heavy = [s for s in self.statements if s.activity.digest in readers]
        known = all(_table_of(t, self.tables) is not None for s in heavy for t in s.shape.tables)
        if heavy and known and all(s.shape.parsed for s in heavy):
            gaps = {id(s) for s, _, _ in self.index_candidates()}
            attrs["index_gap"] = any(id(s) in gaps for s in heavy)
        text = f"{len(rising)} of {len(self.statements)} heavy statements rose with the window" + (
            "" if "index_gap" not in attrs else f"; an index could be missing: {attrs['index_gap']}"
        )
        return Fact(kind="observation", name="workload", attrs=attrs, source=SOURCE, text=text)


def _reads(a: StatementActivity) -> float:
    t = a.total
    if t.rows_examined is not None:
        return float(t.rows_examined)
    if t.shared_blks_hit is not None or t.shared_blks_read is not None:
        return float((t.shared_blks_hit or 0) + (t.shared_blks_read or 0))
    return t.total_time_ms


def _readers(statements: Sequence[StatementActivity]) -> set[str]:
    """The statements doing a tenth or more of the capture's reads (time, where reads are not counted)."""
    total = sum(_reads(a) for a in statements)
    return {a.digest for a in statements if total > 0 and _reads(a) / total >= READ_SHARE}


def _rank(statements: Sequence[StatementActivity], window: TimeWindow | None) -> list[StatementActivity]:
    """Heaviest in the window first (the capture total when there is no window)."""
    if window is None:
        return sorted(statements, key=lambda a: (-a.total.total_time_ms, a.digest))
    return sorted(statements, key=lambda a: (-_in_window(a, window), -a.total.total_time_ms, a.digest))


def _indexable(use: ColumnUse) -> bool:
    """A B-tree can serve equality, IN and value ranges, and equality joins; not ranges between tables.

    A wrapped column (``lower(c)``, ``c % 7``) is a candidate only for an expression index on an
    already indexed column, which ``function_on_indexed_column`` reports instead.
    """
    if use.table is None or use.function is not None:
        return False
    if use.join:
        return use.op == "eq"
    return use.op in ("eq", "in", "range")


def _create_index(dialect: Dialect, table: TableInfo, columns: list[str]) -> str:
    if dialect == "mysql":
        body = ", ".join(f"`{c}`" for c in columns)
        return f"ALTER TABLE `{table.schema_name}`.`{table.name}` ADD INDEX ({body})"
    return f"CREATE INDEX CONCURRENTLY ON {table.qualified} ({', '.join(columns)})"


def _drop_index(dialect: Dialect, table: TableInfo, ix: IndexInfo) -> str:
    if dialect == "mysql":
        return f"ALTER TABLE `{table.schema_name}`.`{table.name}` DROP INDEX `{ix.name}`"
    qualified = f"{table.schema_name}.{ix.name}" if table.schema_name else ix.name
    return f"DROP INDEX CONCURRENTLY {qualified}"


def workload_facts(
    incident: Incident, window: TimeWindow | None = None, settings: Mapping[str, float] | None = None
) -> list[Fact]:
    """Every statement, table and index fact the incident's workload sections support.

    ``settings`` are the numeric settings (``rules.observations.settings_fact``'s attributes:
    time in ms), for autovacuum's trigger and naptime.
    """
    if not incident.statements and not incident.tables:
        return []
    b = _Builder(incident, window if window is not None else incident.window, settings or {})
    facts = [*b.statement_facts(), *b.table_facts(), *b.index_candidate_facts(), *b.redundant_index_facts()]
    summary = b.workload_fact()
    return [*facts, summary] if summary is not None else facts


# -- naming the subjects of a finding ------------------------------------------------------------
_REMEDY_SPLIT = re.compile(r";\s+")


def _shown(e: Evidence) -> dict[str, float | str | bool]:
    wanted = SHOWN.get(e.name, ())
    return {k: e.values[k] for k in wanted if k in e.values and not isinstance(e.values[k], str)}


def _subjects(e: Evidence) -> list[Subject]:
    """The statement, table and indexes one matched fact names; its numbers go to the subject it is about."""
    v = e.values
    index, table, digest, text = (v.get(k) for k in ("index", "table", "digest", "text"))
    columns = [c.strip() for c in str(v.get("columns") or "").split(",") if c.strip()]
    on = str(table) if isinstance(table, str) and table else None
    numbers = _shown(e)
    about = {"table": "table", "lock_waits": "table", "redundant_index": "index"}.get(e.name, "statement")
    out: list[Subject] = []
    named = [index] if isinstance(index, str) and index else []
    named += [n.strip() for n in str(v.get("excess_index_names") or "").split(",") if n.strip()]
    for name in named:
        out.append(
            Subject(kind="index", name=name, table=on, index=name, columns=columns if index else [],
                    values=numbers if about == "index" else {})
        )  # fmt: skip
    if on is not None:
        cols = columns if e.name == "index_candidate" else []
        out.append(
            Subject(kind="table", name=on, table=on, columns=cols, values=numbers if about == "table" else {})
        )
    if isinstance(text, str) and text:
        name = digest if isinstance(digest, str) and digest else _clip(text, 60)
        out.append(
            Subject(
                kind="statement",
                name=name,
                text=text,
                table=on,
                values=numbers if about == "statement" else {},
            )
        )
    return out


def name_subjects(finding: CauseFinding) -> CauseFinding:
    """The finding with the statements, tables and indexes its rules matched, and the SQL to consider.

    Only observations the cause's own rules matched are named (never a statement that merely
    ran at the time), and a remedy goes to the remediation the fact names, when the finding
    has that remediation.
    """
    subjects: list[Subject] = []
    remedies: dict[str, list[str]] = {}
    for step in finding.chain:
        if step.conclusion_kind != "cause" or step.concludes != finding.cause:
            continue
        for e in step.facts:
            if e.kind != "observation":
                continue
            for subject in _subjects(e):
                if all((s.kind, s.name) != (subject.kind, subject.name) for s in subjects):
                    subjects.append(subject)
            for key, value in e.values.items():
                if key.startswith(FIX) and isinstance(value, str) and value:
                    wanted = remedies.setdefault(key.removeprefix(FIX), [])
                    wanted.extend(sql for sql in _REMEDY_SPLIT.split(value) if sql not in wanted)
    if not subjects and not remedies and not finding.subjects:
        return finding  # nothing to name: the copy would equal it
    remediations = [
        r.model_copy(
            update={"statements": [*r.statements, *(s for s in remedies[r.id] if s not in r.statements)]}
        )
        if r.id in remedies
        else r
        for r in finding.remediations
    ]
    order = {"statement": 0, "table": 1, "index": 2}
    subjects.sort(key=lambda s: order[s.kind])
    return finding.model_copy(update={"subjects": subjects, "remediations": remediations})
