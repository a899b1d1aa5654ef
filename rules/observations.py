"""Observations: what an incident's statements, locks, events and settings say, as facts rules can test.

Metrics say *that* something moved; statement digests, lock snapshots, events
and settings often say *why*. They become ``Fact(kind="observation")`` with
numeric (or flag / short string) attributes so rule conditions can test them
with ``{observation: NAME, where: {ATTR: {gte: X}}}``. The planner's tools emit
the same names and attributes, so a rule written against an incident file also
fires on what a live investigation found.

Names and attributes (numbers unless marked):

``top_sql`` — one per statement digest, the heaviest first (at most ``TOP_SQL_LIMIT``):
    rank (1 = most total time), share_of_time (0..1 of all digests' time), calls,
    total_time_ms, mean_ms, rows_examined, rows_sent, rows_affected,
    rows_examined_per_sent (rows read per row returned), rows_sent_per_call,
    rows_affected_per_call, no_index_share (share of calls that used no index),
    temp_disk_tables_per_call, temp_blks_written, cache_hit_ratio (0..1, when block
    counters exist), plan_share (planning / (planning + execution) time),
    joins (number of joined tables), boolean_terms (AND/OR count),
    subqueries (number of nested query blocks), correlated_subquery (flag), has_where,
    has_limit (flags), joins_without_equality, max_in_list (the longest IN list),
    statement (string: select | insert | update | delete | ddl | other), digest (string).
    The shape comes from sqlglot's parse of the text in the engine's dialect.
``lock_waits`` — one, when the incident has lock snapshots:
    count, sessions_waiting, blockers, max_wait_s, total_wait_s,
    blockers_idle_in_transaction (distinct blockers in that state),
    top_blocker_share (share of waits behind the most frequent blocker), objects;
    and, naming the subject, table (string: the object waited on most) and text (string:
    the statement waiting most often, as the server showed it).
``event`` — one per event:
    kind (string, models.Event kinds), in_window (flag), before_window_s (seconds from
    the event to the window start; negative when it happened after the start),
    near_window (flag: in the window or at most ``EVENT_LEAD_S`` before it),
    parameter (string, when a config change names one).
``settings`` — one, when the incident has settings: every setting whose value reads
    as a number (memory and time units converted to bytes and milliseconds), keyed by its
    name with non-alphanumerics as ``_``; plus, from signals when given,
    connections_used_share (peak open connections / max_connections).
``instance`` — one: vcpu, memory_gb, provisioned_iops (when known), storage_type (string),
    and, from signals when given, iops_used_share (read + write IOPS in the window /
    provisioned IOPS).
``statement``, ``table``, ``index_candidate``, ``redundant_index``, ``workload`` — from the
    incident's statement, table and plan sections; see ``rules.workload``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from models import Event, Fact, Incident, Instance, LockWait, SqlDigest, TimeWindow
from rules.workload import workload_facts

if TYPE_CHECKING:
    from sources.live.sqltext import Dialect

# The statement parser (sqlglot) is imported where a statement is read: a capture of metric series
# alone, a batch of them above all, never pays for loading it.

TOP_SQL_LIMIT = 10
EVENT_LEAD_S = 600.0
SOURCE = "observations"

_MEMORY_UNITS = {
    "b": 1,
    "kb": 1024,
    "k": 1024,
    "mb": 1024**2,
    "m": 1024**2,
    "gb": 1024**3,
    "g": 1024**3,
    "tb": 1024**4,
}
_TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}
_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def observe(incident: Incident, window: TimeWindow | None = None, signals: Sequence[Fact] = ()) -> list[Fact]:
    """Every observation the incident supports; ``window`` defaults to the incident's own."""
    where = window if window is not None else incident.window
    facts: list[Fact] = []
    if incident.top_sql:
        from sources.live.sqltext import dialect_of

        facts = top_sql_facts(incident.top_sql, dialect_of(incident.instance.engine))
    lock = lock_wait_fact(incident.lock_waits)
    if lock is not None:
        facts.append(lock)
    facts.extend(event_facts(incident.events, where))
    setting = settings_fact(incident.settings, signals)
    if setting is not None:
        facts.append(setting)
    facts.append(instance_fact(incident.instance, signals))
    numbers = {
        k: v for k, v in (setting.attrs.items() if setting is not None else ()) if isinstance(v, float)
    }
    facts.extend(workload_facts(incident, where, numbers))
    return facts


def instance_fact(instance: Instance, signals: Sequence[Fact] = ()) -> Fact:
    """The instance's capacity, so rules can compare load with what the instance was sold."""
    attrs: dict[str, float | str | bool] = {"engine": instance.engine}
    if instance.vcpu is not None:
        attrs["vcpu"] = float(instance.vcpu)
    if instance.memory_gb is not None:
        attrs["memory_gb"] = instance.memory_gb
    if instance.storage_type is not None:
        attrs["storage_type"] = instance.storage_type
    if instance.provisioned_iops:
        attrs["provisioned_iops"] = float(instance.provisioned_iops)
        used = [f.attrs.get("anomaly") for f in signals if f.name in ("read_iops", "write_iops")]
        numbers = [u for u in used if isinstance(u, float)]
        if numbers:
            attrs["iops_used_share"] = round(sum(numbers) / instance.provisioned_iops, 4)
    text = "instance: " + ", ".join(f"{k}={v}" for k, v in attrs.items())
    return Fact(kind="observation", name="instance", attrs=attrs, source=SOURCE, text=text)


def top_sql_facts(digests: Sequence[SqlDigest], dialect: Dialect = "postgres") -> list[Fact]:
    total = sum(d.total_time_ms for d in digests)
    ranked = sorted(digests, key=lambda d: d.total_time_ms, reverse=True)[:TOP_SQL_LIMIT]
    return [_digest_fact(d, rank, total, dialect) for rank, d in enumerate(ranked, start=1)]


def _digest_fact(d: SqlDigest, rank: int, total_ms: float, dialect: Dialect) -> Fact:
    calls = max(d.calls, 1)
    shape = sql_shape(d.text, dialect)
    attrs: dict[str, float | str | bool] = {
        "rank": float(rank),
        "digest": d.digest,
        "statement": str(shape["statement"]),
        "share_of_time": round(d.total_time_ms / total_ms, 4) if total_ms > 0 else 0.0,
        "calls": float(d.calls),
        "total_time_ms": d.total_time_ms,
        "mean_ms": d.mean_time_ms if d.mean_time_ms is not None else d.total_time_ms / calls,
        "joins": float(shape["joins"]),
        "boolean_terms": float(shape["boolean_terms"]),
        "subqueries": float(shape["subqueries"]),
        "correlated_subquery": bool(shape["correlated_subquery"]),
        "has_where": bool(shape["has_where"]),
        "has_limit": bool(shape["has_limit"]),
        "joins_without_equality": float(shape["joins_without_equality"]),
        "max_in_list": float(shape["max_in_list"]),
    }
    if d.rows_examined is not None:
        attrs["rows_examined"] = float(d.rows_examined)
    if d.rows_sent is not None:
        attrs["rows_sent"] = float(d.rows_sent)
        attrs["rows_sent_per_call"] = round(d.rows_sent / calls, 4)
    if d.rows_examined is not None and d.rows_sent is not None:
        attrs["rows_examined_per_sent"] = round(d.rows_examined / max(d.rows_sent, 1), 4)
    if d.rows_affected is not None:
        attrs["rows_affected"] = float(d.rows_affected)
        attrs["rows_affected_per_call"] = round(d.rows_affected / calls, 4)
    if d.no_index_used is not None:
        attrs["no_index_share"] = round(min(d.no_index_used / calls, 1.0), 4)
    if d.temp_disk_tables is not None:
        attrs["temp_disk_tables_per_call"] = round(d.temp_disk_tables / calls, 4)
    if d.temp_blks_written is not None:
        attrs["temp_blks_written"] = float(d.temp_blks_written)
    if d.shared_blks_hit is not None and d.shared_blks_read is not None:
        blocks = d.shared_blks_hit + d.shared_blks_read
        attrs["cache_hit_ratio"] = round(d.shared_blks_hit / blocks, 4) if blocks else 1.0
    if d.plan_time_ms is not None:
        spent = d.plan_time_ms + d.total_time_ms
        attrs["plan_share"] = round(d.plan_time_ms / spent, 4) if spent > 0 else 0.0
    text = (
        f"statement #{rank} ({attrs['statement']}) took {attrs['share_of_time']:.0%} of statement time "
        f"over {d.calls} calls: {d.text[:80]}"
    )
    return Fact(kind="observation", name="top_sql", attrs=attrs, source=SOURCE, text=text)


def sql_shape(text: str, dialect: Dialect = "postgres") -> dict[str, str | int | bool]:
    """A statement's structure from its parse: verb, joins, boolean terms, subqueries and more.

    Texts sqlglot cannot parse (truncated digests) keep their verb and count nothing else:
    an unparsed statement is not evidence of a join or a subquery.
    """
    from sources.live.sqltext import analyze

    shape = analyze(text, dialect)
    return {
        "statement": shape.statement,
        "joins": shape.joins,
        "boolean_terms": shape.boolean_terms,
        "subqueries": shape.subqueries,
        "correlated_subquery": shape.correlated_subquery,
        "has_where": shape.has_where,
        "has_limit": shape.has_limit,
        "joins_without_equality": shape.joins_without_equality,
        "max_in_list": shape.max_in_list,
    }


def lock_wait_fact(waits: Sequence[LockWait]) -> Fact | None:
    if not waits:
        return None
    blockers = Counter(w.blocking_session for w in waits if w.blocking_session is not None)
    idle = {
        w.blocking_session
        for w in waits
        if w.blocking_session is not None
        and (w.blocking_state or "").lower().startswith("idle in transaction")
    }
    max_wait = max(w.wait_s for w in waits)
    attrs: dict[str, float | str | bool] = {
        "count": float(len(waits)),
        "sessions_waiting": float(len({w.waiting_session for w in waits})),
        "blockers": float(len(blockers)),
        "max_wait_s": max_wait,
        "total_wait_s": round(sum(w.wait_s for w in waits), 4),
        "blockers_idle_in_transaction": float(len(idle)),
        "top_blocker_share": round(blockers.most_common(1)[0][1] / len(waits), 4) if blockers else 0.0,
        "objects": float(len({w.object for w in waits if w.object})),
    }
    objects = Counter(w.object.replace("`", "").replace('"', "") for w in waits if w.object)
    if objects:
        attrs["table"] = objects.most_common(1)[0][0]
    queries = Counter(" ".join(w.waiting_query.split()) for w in waits if w.waiting_query)
    if queries:
        attrs["text"] = queries.most_common(1)[0][0][:300]
    text = f"{len(waits)} lock waits, longest {max_wait:g} s, behind {len(blockers)} blocking session(s)" + (
        f", {len(idle)} idle in transaction" if idle else ""
    )
    return Fact(kind="observation", name="lock_waits", attrs=attrs, source=SOURCE, text=text)


def event_facts(events: Sequence[Event], window: TimeWindow | None) -> list[Fact]:
    return [_event_fact(e, window) for e in events]


def _event_fact(event: Event, window: TimeWindow | None) -> Fact:
    attrs: dict[str, float | str | bool] = {"kind": event.kind}
    if window is not None:
        before = window.start - event.time
        attrs["in_window"] = window.start <= event.time <= window.end
        attrs["before_window_s"] = before
        attrs["near_window"] = bool(attrs["in_window"]) or 0.0 <= before <= EVENT_LEAD_S
    parameter = event.details.get("parameter") or event.details.get("name")
    if parameter:
        attrs["parameter"] = parameter
    text = f"{event.kind} at t={event.time:g}" + (f": {event.description}" if event.description else "")
    return Fact(kind="observation", name="event", attrs=attrs, source=SOURCE, text=text)


def settings_fact(settings: dict[str, str], signals: Sequence[Fact] = ()) -> Fact | None:
    if not settings:
        return None
    attrs: dict[str, float | str | bool] = {}
    for name, value in settings.items():
        number = parse_setting(value)
        if number is not None:
            attrs[re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")] = number
    count = len(attrs)
    limit = attrs.get("max_connections")
    peak = next((f.attrs.get("peak") for f in signals if f.name == "open_connections"), None)
    if isinstance(limit, float) and limit > 0 and isinstance(peak, float):
        attrs["connections_used_share"] = round(peak / limit, 4)
    # Hundreds of settings are no sentence: the text counts them; the attributes hold each.
    text = f"{count} numeric settings"
    share = attrs.get("connections_used_share")
    if isinstance(share, float):
        text += f"; peak connections at {share:.0%} of max_connections"
    return Fact(kind="observation", name="settings", attrs=attrs, source=SOURCE, text=text)


def parse_setting(value: str) -> float | None:
    """``"4MB"`` -> bytes, ``"30s"`` -> milliseconds, ``"on"`` -> 1; ``None`` when not a quantity.

    PostgreSQL and MySQL write memory and time settings with units; rules
    compare magnitudes, so units are normalised (memory to bytes, time to ms).
    """
    text = value.strip().lower()
    if text in {"on", "true", "yes"}:
        return 1.0
    if text in {"off", "false", "no"}:
        return 0.0
    m = _NUMBER.match(text)
    if m is None:
        return None
    number, unit = float(m.group(1)), m.group(2)
    if not unit:
        return number
    if unit in _MEMORY_UNITS:
        return number * _MEMORY_UNITS[unit]
    if unit in _TIME_UNITS:
        return number * _TIME_UNITS[unit]
    return None
