"""The incident file: everything sleuth knows about one anomaly, as data.

Models validate and nothing more, so that every importer, collector and the UI
agree on one contract and a bad file is rejected at the boundary with a path
to the offending field.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from itertools import islice, repeat
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import SchemaValidator

from models.defaults import empty_list
from models.workload import StatementActivity, StatementPlan, TableInfo

Engine = Literal["mysql", "mariadb", "postgres"]
EventKind = Literal[
    "config_change",
    "failover",
    "deploy",
    "backup",
    "restore",
    "maintenance",
    "scaling",
    "reboot",
    "other",
]

SCHEMA_VERSION = 1


# ``source`` of the incidents sleuth's own collectors write: ``live:<engine>`` (``sleuth collect``,
# ``diagnose --dsn``) and ``watch:<engine>`` (``sleuth watch``).
LIVE_SOURCE = "live:"
WATCH_SOURCE = "watch:"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Instance(_Strict):
    """The database instance the incident happened on."""

    engine: Engine
    version: str | None = None
    instance_class: str | None = Field(default=None, description="e.g. db.r6g.large")
    vcpu: int | None = Field(default=None, ge=1)
    memory_gb: float | None = Field(default=None, gt=0)
    storage_type: str | None = Field(default=None, description="gp2, gp3, io1, io2, magnetic, local")
    provisioned_iops: int | None = Field(default=None, ge=0)
    host: str | None = Field(default=None, description="endpoint or host name, never credentials")


class MetricSeries(_Strict):
    """One metric over time. ``None`` marks a missing sample.

    A series that gives no timestamps of its own (an empty list) uses the
    incident's shared clock (``Incident.timestamps``); the incident fills them
    in when it is validated, so every reader sees timestamps on every series.
    """

    name: str = Field(min_length=1)
    unit: str = ""
    timestamps: list[float] = Field(
        default_factory=empty_list,
        description="seconds (unix epoch or relative), strictly increasing; omit to use the incident's timestamps",
    )
    values: list[float | None]

    @field_validator("timestamps")
    @classmethod
    def _increasing(cls, ts: list[float]) -> list[float]:
        # Fast path in C: strictly increasing with finite ends means every timestamp is finite too
        # (a NaN fails every comparison). Only a bad series pays for the loop that words the error.
        if not ts or (
            math.isfinite(ts[0]) and math.isfinite(ts[-1]) and all(map(operator.lt, ts, islice(ts, 1, None)))
        ):
            return ts
        for i, t in enumerate(ts):
            if not math.isfinite(t):
                raise ValueError(f"timestamp {i} is not a finite number")
            if i and t <= ts[i - 1]:
                what = "duplicate" if t == ts[i - 1] else "unsorted"
                raise ValueError(f"{what} timestamp at index {i} ({t} after {ts[i - 1]})")
        return ts

    @field_validator("values")
    @classmethod
    def _finite(cls, vs: list[float | None]) -> list[float | None]:
        # A finite sum means finite terms (NaN and inf propagate); overflow to inf takes the slow path.
        if math.isfinite(sum(filter(None, vs))):
            return vs
        for i, v in enumerate(vs):
            if v is not None and not math.isfinite(v):
                raise ValueError(f"value at index {i} is {v}; use null for a missing sample")
        return vs

    @model_validator(mode="after")
    def _same_length(self) -> MetricSeries:
        if self.timestamps and len(self.timestamps) != len(self.values):
            raise ValueError(
                f"series {self.name!r} has {len(self.timestamps)} timestamps but {len(self.values)} values"
            )
        return self


class TimeWindow(_Strict):
    """Inclusive time range, in the same clock as the series' timestamps."""

    start: float
    end: float

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if not (math.isfinite(self.start) and math.isfinite(self.end)):
            raise ValueError("window bounds must be finite")
        if self.start > self.end:
            raise ValueError(f"window start {self.start} is after its end {self.end}")
        return self


class Event(_Strict):
    time: float
    kind: EventKind
    description: str = ""
    details: dict[str, str] = Field(default_factory=dict)


class SqlDigest(_Strict):
    """A normalised statement and its load, as pg_stat_statements or performance_schema report it."""

    digest: str
    text: str
    calls: int = Field(default=0, ge=0)
    total_time_ms: float = Field(default=0.0, ge=0)
    mean_time_ms: float | None = Field(default=None, ge=0)
    rows_examined: int | None = Field(default=None, ge=0)
    rows_sent: int | None = Field(default=None, ge=0)
    rows_affected: int | None = Field(default=None, ge=0)
    temp_disk_tables: int | None = Field(default=None, ge=0)
    no_index_used: int | None = Field(default=None, ge=0)
    shared_blks_read: int | None = Field(default=None, ge=0)
    shared_blks_hit: int | None = Field(default=None, ge=0)
    temp_blks_written: int | None = Field(default=None, ge=0)
    plan_time_ms: float | None = Field(default=None, ge=0)


class LockWait(_Strict):
    """One session waiting on another, from pg_locks or InnoDB lock waits."""

    time: float | None = None
    waiting_session: str
    blocking_session: str | None = None
    lock_type: str = ""
    object: str | None = None
    wait_s: float = Field(default=0.0, ge=0)
    waiting_query: str | None = None
    blocking_query: str | None = None
    blocking_state: str | None = Field(default=None, description="e.g. 'idle in transaction'")


class LogExcerpt(_Strict):
    time: float | None = None
    level: str = "info"
    message: str


class Incident(_Strict):
    """One incident: the unit sleuth diagnoses. ``labels`` are the true causes, for evaluation only."""

    schema_version: int = SCHEMA_VERSION
    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
    title: str = ""
    instance: Instance
    timestamps: list[float] | None = Field(
        default=None,
        description="the clock shared by every series that gives no timestamps of its own (seconds, increasing)",
    )
    metrics: list[MetricSeries] = Field(default_factory=empty_list)
    window: TimeWindow | None = Field(default=None, description="the anomaly window, when known")
    events: list[Event] = Field(default_factory=empty_list)
    top_sql: list[SqlDigest] = Field(default_factory=empty_list)
    lock_waits: list[LockWait] = Field(default_factory=empty_list)
    logs: list[LogExcerpt] = Field(default_factory=empty_list)
    settings: dict[str, str] = Field(default_factory=dict)
    statements: list[StatementActivity] = Field(
        default_factory=empty_list, description="per-statement load over the capture, interval by interval"
    )
    tables: list[TableInfo] = Field(
        default_factory=empty_list, description="tables the heavy statements touch"
    )
    plans: list[StatementPlan] = Field(
        default_factory=empty_list, description="EXPLAIN of the heavy statements"
    )
    labels: list[str] = Field(
        default_factory=empty_list, description="true cause ids; used only by `sleuth eval`"
    )
    label_healthy: bool = Field(
        default=False,
        description="labelled as holding no anomaly (then `labels` is empty); used only by `sleuth eval`",
    )
    source: str | None = Field(default=None, description="where the incident came from")

    @property
    def has_warm_up(self) -> bool:
        """Whether its first samples may be a collector's warm-up (rates read as zero before the
        collector had a previous reading). sleuth's own collectors (``live:``, ``watch:``) take one
        reading before the first sample, so every rate they record spans a whole interval; zeros at
        the start of their captures are the server's own, however many metrics an anomaly wakes later.
        """
        return not (self.source or "").startswith((LIVE_SOURCE, WATCH_SOURCE))

    @field_validator("timestamps")
    @classmethod
    def _clock_increasing(cls, ts: list[float] | None) -> list[float] | None:
        return None if ts is None else MetricSeries._increasing(ts)

    @model_validator(mode="after")
    def _shared_clock(self) -> Incident:
        """Series without timestamps take the shared clock (the same list: a capture's samples share it).

        The clock is set as an assignment would set it (the value, and the field marked as set)
        without ``BaseModel.__setattr__``'s dispatch, which a capture of a hundred series would
        pay a hundred times on every read.
        """
        clock = self.timestamps
        for i, m in enumerate(self.metrics):
            if m.timestamps:
                continue
            if clock is None:
                if m.values:
                    raise ValueError(
                        f"metrics.{i}.timestamps: missing, and the incident has no shared timestamps"
                    )
                continue
            if len(clock) != len(m.values):
                raise ValueError(
                    f"metrics.{i}: series {m.name!r} has {len(m.values)} values but the shared "
                    f"timestamps hold {len(clock)}"
                )
            m.__dict__["timestamps"] = clock
            m.__pydantic_fields_set__.add("timestamps")
        return self

    @model_validator(mode="after")
    def _healthy_has_no_cause(self) -> Incident:
        if self.label_healthy and self.labels:
            raise ValueError(
                "label_healthy: a capture labelled healthy has no true causes (labels must be empty)"
            )
        return self

    @model_validator(mode="after")
    def _unique_metrics(self) -> Incident:
        names = [m.name for m in self.metrics]
        if len(set(names)) == len(names):
            return self
        seen: set[str] = set()
        for i, m in enumerate(self.metrics):
            if m.name in seen:
                raise ValueError(f"metrics.{i}: duplicate metric name {m.name!r}")
            seen.add(m.name)
        return self


def validate_json_file(data: bytes | str) -> Incident:
    """``Incident.model_validate_json`` for the incident files that are valid, with each series'
    Python checks done at once: a capture's hundred series would call them a hundred times.

    Any invalid input raises (``ValidationError``, or ``ValueError`` from a series check),
    but not necessarily with the error ``Incident.model_validate_json`` words: a caller
    that reports errors validates that input again with it. What this accepts, that accepts,
    as the same incident.
    """
    incident: Incident = _checked_series_validator().validate_json(data)
    clock = incident.timestamps
    for m in incident.metrics:
        if m.timestamps is not clock:  # its own clock (the shared one was checked on the incident)
            MetricSeries._increasing(m.timestamps)
            m._same_length()  # type: ignore[operator]  # the validator, as pydantic calls it
    return incident


@functools.cache
def _checked_series_validator() -> SchemaValidator:
    """Incident's schema without ``MetricSeries``' Python validators, its floats refused non-finite in
    pydantic-core instead (what ``_finite`` and the finite half of ``_increasing`` ask).

    ``validate_json_file`` does the rest: ``_increasing`` and ``_same_length``, for the series
    that have their own clock. If the schema is not laid out as expected (another pydantic),
    it is the model's own validator, unchanged.
    """
    removed: list[Any] = []

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if node.get("type") == "function-after":
            function = node.get("function", {}).get("function")
            if getattr(function, "__func__", function) in _SERIES_CHECKS:
                removed.append(function)
                inner = walk(node["schema"])
                if function is not MetricSeries._same_length:
                    _refuse_non_finite(inner)
                return inner
        return {key: walk(value) for key, value in node.items()}

    stripped = walk(Incident.__pydantic_core_schema__)  # copied as walked: the model's stays whole
    if len(removed) != len(_SERIES_CHECKS):
        return Incident.__pydantic_validator__  # type: ignore[return-value]
    return SchemaValidator(stripped)


def _refuse_non_finite(node: Any) -> None:
    """Every float schema under ``node`` refuses NaN and infinities."""
    if isinstance(node, list):
        for item in node:
            _refuse_non_finite(item)
    elif isinstance(node, dict):
        if node.get("type") == "float":
            node["allow_inf_nan"] = False
        for value in node.values():
            _refuse_non_finite(value)


_SERIES_CHECKS = (
    MetricSeries._increasing.__func__,  # type: ignore[attr-defined]
    MetricSeries._finite.__func__,  # type: ignore[attr-defined]
    MetricSeries._same_length,
)


def _sampled(series: MetricSeries) -> bool:
    """Whether the series holds a sample: a value that is not null."""
    return any(map(operator.is_not, series.values, repeat(None)))


def diagnosis_problem(incident: Incident) -> str | None:
    """``field: what is wrong`` when the incident holds nothing a diagnosis can compare, else None.

    Each part is valid alone, but a diagnosis compares the anomaly window with
    the samples outside it: with no sample at all, none inside the window or
    none outside it, there is nothing to compare, and a file that validates must
    diagnose. Every check stops at the first sample that satisfies it, and the series are
    looked at only until the incident is known to be usable: listing them all is for the error.
    """
    if not any(_sampled(m) for m in incident.metrics):
        what = "every series is empty or null" if incident.metrics else "the file has no metric series"
        return f"metrics: no samples ({what}); a diagnosis compares metric series"
    window = incident.window
    if window is None:
        return None
    inside = outside = False
    for m in incident.metrics:
        if not _sampled(m):
            continue
        lo = bisect.bisect_left(m.timestamps, window.start)
        hi = bisect.bisect_right(m.timestamps, window.end)
        inside = inside or any(v is not None for v in islice(m.values, lo, hi))
        outside = (
            outside
            or any(v is not None for v in islice(m.values, 0, lo))
            or any(v is not None for v in islice(m.values, hi, None))
        )
        if inside and outside:
            return None
    series = [m for m in incident.metrics if _sampled(m)]
    first = min(m.timestamps[0] for m in series)
    last = max(m.timestamps[-1] for m in series)
    if not inside:
        return f"window: holds no sample (the series' samples run from {first:g} to {last:g})"
    return "window: covers every sample, which leaves no baseline to compare it with"
