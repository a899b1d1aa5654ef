"""Statement, table, index and plan evidence: what a DBA needs to name the query, the table and the fix.

Server-wide counters say *that* the database slowed; these sections say which
statement's load rose and when, which table it reads (its dead tuples, its
indexes) and how the planner runs it. Statement texts are always normalised
with literals masked: they are data to show, never to run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.defaults import empty_list

SubjectKind = Literal["statement", "table", "index"]
PlanSource = Literal["sample", "generic"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatementCounters(_Strict):
    """One statement's counters over an interval (deltas); ``None`` where the engine does not count it.

    PostgreSQL fills the ``shared_blks_*``, ``temp_blks_*``, ``wal_bytes`` and ``plan_time_ms``
    family; MySQL/MariaDB the ``rows_examined``, ``no_index_used``, ``tmp_*``, ``sort_merge_passes``
    and ``lock_time_ms`` family. ``rows`` is rows returned or affected on both.
    """

    calls: int = Field(default=0, ge=0)
    total_time_ms: float = Field(default=0.0, ge=0)
    rows: int | None = Field(default=None, ge=0)
    rows_examined: int | None = Field(default=None, ge=0)
    rows_sent: int | None = Field(default=None, ge=0)
    rows_affected: int | None = Field(default=None, ge=0)
    shared_blks_hit: int | None = Field(default=None, ge=0)
    shared_blks_read: int | None = Field(default=None, ge=0)
    shared_blks_dirtied: int | None = Field(default=None, ge=0)
    shared_blks_written: int | None = Field(default=None, ge=0)
    temp_blks_read: int | None = Field(default=None, ge=0)
    temp_blks_written: int | None = Field(default=None, ge=0)
    wal_bytes: int | None = Field(default=None, ge=0)
    plan_time_ms: float | None = Field(default=None, ge=0)
    no_index_used: int | None = Field(default=None, ge=0)
    no_good_index_used: int | None = Field(default=None, ge=0)
    tmp_tables: int | None = Field(default=None, ge=0)
    tmp_disk_tables: int | None = Field(default=None, ge=0)
    sort_merge_passes: int | None = Field(default=None, ge=0)
    lock_time_ms: float | None = Field(default=None, ge=0)


class StatementSeries(_Strict):
    """A statement's load per sampling interval, so its onset can be set against the anomaly window.

    Each value is the delta over the interval ending at the same index of ``timestamps``.
    ``reads`` is buffer blocks touched (shared hit + read) on PostgreSQL and rows examined on
    MySQL/MariaDB: the resource a statement takes from everyone else, in the engine's own unit.
    """

    timestamps: list[float] = Field(default_factory=empty_list)
    calls: list[float] = Field(default_factory=empty_list)
    time_ms: list[float] = Field(default_factory=empty_list)
    rows: list[float] = Field(default_factory=empty_list)
    reads: list[float] = Field(default_factory=empty_list)

    @model_validator(mode="after")
    def _aligned(self) -> StatementSeries:
        n = len(self.timestamps)
        for name in ("calls", "time_ms", "rows", "reads"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} values for {n} timestamps")
        if any(b <= a for a, b in zip(self.timestamps, self.timestamps[1:], strict=False)):
            raise ValueError("timestamps must be strictly increasing")
        return self


class StatementActivity(_Strict):
    """One normalised statement over the capture: what it cost in total and interval by interval."""

    digest: str = Field(min_length=1, description="pg_stat_statements queryid or performance_schema DIGEST")
    text: str = Field(description="normalised text, literals masked")
    schema_name: str | None = Field(default=None, description="database or schema it ran in, when known")
    total: StatementCounters = Field(default_factory=StatementCounters)
    series: StatementSeries = Field(default_factory=StatementSeries)


class IndexInfo(_Strict):
    """One index of a table: its definition, size and how often it was used."""

    name: str = Field(min_length=1)
    columns: list[str] = Field(
        default_factory=empty_list, description="key columns in order; expressions as text"
    )
    definition: str = ""
    unique: bool = False
    primary: bool = False
    size_bytes: int | None = Field(default=None, ge=0)
    scans: int | None = Field(default=None, ge=0, description="scans since statistics were reset")
    scans_in_capture: int | None = Field(default=None, ge=0)


class TableInfo(_Strict):
    """One table a heavy statement touched: size, live and dead rows, maintenance and access paths.

    Counts ending in ``_in_capture`` are deltas over the capture; the others are the server's
    figures at the end of it. Times are unix seconds.
    """

    schema_name: str = ""
    name: str = Field(min_length=1)
    size_bytes: int | None = Field(default=None, ge=0)
    live_rows: int | None = Field(default=None, ge=0)
    dead_rows: int | None = Field(default=None, ge=0)
    last_vacuum: float | None = None
    last_autovacuum: float | None = None
    last_analyze: float | None = None
    last_autoanalyze: float | None = None
    autovacuum_enabled: bool | None = None
    seq_scans_in_capture: int | None = Field(default=None, ge=0)
    seq_rows_read_in_capture: int | None = Field(default=None, ge=0)
    index_scans_in_capture: int | None = Field(default=None, ge=0)
    rows_inserted_in_capture: int | None = Field(default=None, ge=0)
    rows_updated_in_capture: int | None = Field(default=None, ge=0)
    rows_deleted_in_capture: int | None = Field(default=None, ge=0)
    rows_hot_updated_in_capture: int | None = Field(default=None, ge=0)
    columns: list[str] = Field(default_factory=empty_list)
    indexes: list[IndexInfo] = Field(default_factory=empty_list)

    @property
    def qualified(self) -> str:
        return f"{self.schema_name}.{self.name}" if self.schema_name else self.name


class PlanNode(_Strict):
    """One node of an EXPLAIN plan, flattened; filters are not kept (they may quote literals)."""

    node_type: str
    parent: str | None = Field(
        default=None, description="how it feeds its parent: Outer, Inner, SubPlan, ..."
    )
    relation: str | None = None
    index: str | None = None
    join_type: str | None = None
    estimated_rows: float | None = Field(default=None, ge=0)
    total_cost: float | None = Field(default=None, ge=0)
    filtered: bool = Field(default=False, description="the node discards rows by a filter condition")
    depth: int = Field(default=0, ge=0)


class StatementPlan(_Strict):
    """EXPLAIN (never ANALYZE) of a heavy statement: from a sample text or as a generic plan."""

    digest: str = Field(min_length=1)
    source: PlanSource
    total_cost: float | None = Field(default=None, ge=0)
    nodes: list[PlanNode] = Field(default_factory=empty_list)


class Subject(_Strict):
    """What a cause finding blames, with the numbers seen: a statement, a table or an index."""

    kind: SubjectKind
    name: str = Field(description="digest or queryid for a statement, schema.table, or the index name")
    text: str = Field(default="", description="statement text (masked) or index definition")
    table: str | None = None
    index: str | None = None
    columns: list[str] = Field(default_factory=empty_list)
    values: dict[str, float | str | bool] = Field(default_factory=dict)
