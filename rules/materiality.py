"""Significance is not size: whether a departure the healthy test found is an incident.

The healthy test (``rules.health``) asks whether the strongest segment differs
from the rest of a capture more than its own noise would make it. Over a view
of minutes a shift of a fraction of the noise clears it, and so does the
server's housekeeping: a checkpoint's writes, InnoDB's page cleaner flushing
dirty pages, a purge. Those move in cycles on a healthy server and serve no
client. An incident changes what the server does for its clients: the rate of
its work, how long the work takes, how much of it runs or waits at once, its
errors (RED, and the saturation of sessions and locks). So a departure is an
incident only when it moves several metrics each as far as a signal needs to
have a direction, and one service metric at least as far as some rule
requires a service metric to move before it names a cause.

``sleuth diagnose`` (a capture's window inferred) and ``sleuth watch`` (an
onset among the latest samples) ask the same question here, so a capture the
watcher would not open an incident for is one ``diagnose`` calls healthy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from rules.stats import Matrix, Vector

if TYPE_CHECKING:
    from models import NumTest
    from rules.book import RuleBook

# A move must clear both a robust z-score and a relative change to have a direction:
# the z-score rejects noise, the relative change rejects tiny moves of very steady metrics.
DIRECTION_SCORE = 3.0
DIRECTION_REL = 0.05
# A cause shows through several symptoms (its load, its waits, its latency): one counter alone
# stepping (a checkpoint's writes, a rarely moving counter) is no incident.
MIN_MOVED = 3
# What the server does for its clients, in the knowledge graph's metric ids: the rate of its work,
# how long the work takes, how much of it runs or waits at once, and its errors. An incident changes
# one of them at least; a change confined to the server's housekeeping is no incident until it does,
# and then these move too.
SERVICE_METRICS = frozenset(
    {
        # rate
        "commits", "queries", "select_statements", "insert_statements", "update_statements",
        "delete_statements", "rows_read", "rows_fetched", "rows_examined", "rows_inserted",
        "rows_updated", "rows_deleted", "rows_changed", "logical_reads", "table_scan_rows", "seq_scans",
        "index_lookups", "full_joins", "full_index_scans", "tmp_disk_tables", "temp_bytes", "temp_files",
        # duration
        "latency", "statement_time", "commit_latency", "read_latency", "write_latency", "plan_time",
        "row_lock_time", "slow_queries",
        # concurrency and waits
        "threads_running", "db_load", "db_load_cpu", "db_load_non_cpu", "open_connections",
        "connections_used_pct", "max_used_connections", "lock_waits_current", "row_lock_waits",
        "table_lock_waits", "locks_held", "idle_in_transaction_sessions", "idle_in_transaction_age",
        "oldest_xact_age",
        # errors
        "rollbacks", "handler_rollbacks", "deadlocks", "aborted_connects", "aborted_clients",
        "connection_errors_max_connections",
    }
)  # fmt: skip
# How near its limit each resource the service runs on is (USE: utilisation and saturation): the
# processors' busy share and run queue, memory paged to swap, the disks' busy share and queue. A
# resource pushed toward its limit is an incident before the clients feel it (a neighbour's process
# taking the processors); the activity housekeeping adds (pages written, dirty pages) is not here.
RESOURCE_METRICS = frozenset(
    {
        "cpu_user", "cpu_system", "cpu_idle", "cpu_utilization", "db_cpu", "processes_running",
        "load_average", "swap_in", "swap_out", "major_page_faults", "cpu_iowait", "disk_utilization",
        "disk_queue_depth",
    }
)  # fmt: skip


def describes_service(metric: str | None) -> bool:
    """Whether the graph metric id is of the service or of a resource it runs on."""
    return metric in SERVICE_METRICS or metric in RESOURCE_METRICS


def service_rows(ids: Sequence[str], placed: Callable[[str], bool] | None = None) -> np.ndarray:
    """Which of these graph metric ids ``describes_service``, as a row mask.

    With ``placed`` (whether an id is a metric of the graph), a capture none of whose metrics sleuth
    can place cannot say what its server did for its clients: every row of it counts, and the
    moves alone decide.
    """
    if placed is not None and not any(placed(i) for i in ids):
        return np.ones(len(ids), dtype=bool)
    return np.array([describes_service(i) for i in ids], dtype=bool)


def service_bar(book: RuleBook | None) -> float:
    """How far, relative to its level, a service metric must move before any rule of ``book`` could
    name a cause on it: the least of the moves its rules *require* (``all``) of a service metric's
    ratio, on the signals' relative scale (``|a - b| / max(a, b)``: a ratio of 0.8 or of 1.25 is 0.2).

    A departure is worth a diagnosis when its service moved as a cause moves it; a change smaller
    than every cause needs (the steady workload slowed a little by a busy neighbour) is the server's
    weather. An ``any`` condition is one alternative among others, so it sets no floor. Without a
    rule on a service ratio the bar is the signals' own (``DIRECTION_REL``).
    """
    moves = [_rel_of(b) for b in _service_ratio_bounds(book)] if book is not None else []
    return min((m for m in moves if m > 0), default=DIRECTION_REL)


def _service_ratio_bounds(book: RuleBook) -> Iterator[float]:
    for rule in book.rules:
        for condition in rule.when.all:
            if condition.signal in SERVICE_METRICS and condition.ratio is not None:
                yield from _change_bounds(condition.ratio)


def _change_bounds(test: NumTest) -> Iterator[float]:
    """The bounds of a ratio test that ask for a change: a rise past a bound above 1, a fall below one
    under 1 (``ratio <= 2`` asks for no change)."""
    for bound in (test.gte, test.gt):
        if bound is not None and bound > 1:
            yield float(bound)
    for bound in (test.lte, test.lt):
        if bound is not None and 0 < bound < 1:
            yield float(bound)


def _rel_of(ratio: float) -> float:
    return abs(1.0 - ratio) / max(1.0, ratio)


def material(
    values: Matrix,
    span: tuple[int, int],
    shift: Vector | None,
    service: np.ndarray,
    bar: float = DIRECTION_REL,
) -> bool:
    """Whether the segment ``span`` (columns, inclusive) moved ``MIN_MOVED`` metrics as far as a signal
    needs to have a direction, one of them at least a service metric by ``bar`` of its level.

    ``shift`` is each metric's move in noise units, as the healthy test weighed it
    (``window.Search.shift``); ``service`` marks the rows of ``values`` that describe the service or
    a resource it runs on (``service_rows``).
    """
    if shift is None:
        return False
    rel = relative_move(values, span)
    moved = (np.abs(shift) >= DIRECTION_SCORE) & (rel >= DIRECTION_REL)
    return int(np.count_nonzero(moved)) >= MIN_MOVED and bool(np.any(moved & service & (rel >= bar)))


def relative_move(values: Matrix, span: tuple[int, int]) -> Vector:
    """Per metric, how far the segment's mean sits from the rest's, as a share of the larger of the two
    (the signals' relative scale: a step from zero is 1, a halving 0.5). Means, not medians: the
    segment's shift in noise units is of means, and a counter a background thread bumps once a
    second, read twice a second, alternates between two levels whose median is either. Missing
    samples are left out of both means; a metric with none on one side did not move."""
    inside = np.zeros(values.shape[1], dtype=bool)
    inside[span[0] : span[1] + 1] = True
    if inside.all() or not inside.any():
        return np.zeros(values.shape[0])
    a, b = _mean(values[:, inside]), _mean(values[:, ~inside])
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(invalid="ignore", divide="ignore"):
        out: Vector = np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)
    return np.nan_to_num(out, nan=0.0)


def _mean(values: Matrix) -> Vector:
    """Each row's mean over its present samples (NaN where it has none)."""
    present = ~np.isnan(values)
    if present.all():
        out: Vector = values.mean(axis=1)
        return out
    count = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: Vector = np.where(present, values, 0.0).sum(axis=1) / np.where(count > 0, count, np.nan)
    return mean
