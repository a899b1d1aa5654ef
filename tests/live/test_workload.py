"""Samples into statement activity and table deltas: resets, monitoring statements, what is explained."""

from __future__ import annotations

from models import IndexInfo, StatementActivity, StatementCounters, TableInfo
from sources.live.sample import Sample, StatementReading, TableReading
from sources.live.workload import (
    is_monitoring,
    plan_candidates,
    statement_activity,
    table_infos,
    tables_touched,
)


def _sample(t: float, readings: dict[str, StatementReading] | None) -> Sample:
    return Sample(time=t, statements=readings)


def _r(calls: float, ms: float, text: str | None = None, **more: float) -> StatementReading:
    return StatementReading(counters={"calls": calls, "total_time_ms": ms, **more}, text=text)


def test_a_counter_reset_mid_capture_keeps_the_intervals_around_it() -> None:
    samples = [
        _sample(1.0, {"a": _r(100, 1000.0, "SELECT * FROM t WHERE id = $1", rows_examined=100)}),
        _sample(2.0, {"a": _r(110, 1100.0, rows_examined=110)}),
        _sample(3.0, {"a": _r(5, 50.0, rows_examined=5)}),  # pg_stat_statements_reset() between samples
        _sample(4.0, {"a": _r(15, 150.0, rows_examined=15)}),
    ]
    [a] = statement_activity(samples)
    assert a.series.calls == [10.0, 0.0, 10.0]
    assert a.series.reads == [10.0, 0.0, 10.0]  # rows examined are MySQL's reads
    assert (a.total.calls, a.total.total_time_ms, a.total.rows_examined) == (20, 200.0, 20)


def test_samples_without_statement_readings_are_skipped_and_monitoring_is_left_out() -> None:
    samples = [
        _sample(1.0, {"m": _r(1, 1.0, "SHOW GLOBAL STATUS"), "q": _r(0, 0.0, "SELECT 1 FROM orders")}),
        _sample(2.0, None),
        _sample(3.0, {"m": _r(3, 3.0), "q": _r(4, 8.0)}),
    ]
    [q] = statement_activity(samples)
    assert (q.digest, q.series.timestamps, q.series.calls) == ("q", [3.0], [4.0])
    assert is_monitoring("SELECT * FROM performance_schema.events_statements_summary_by_digest")
    assert not is_monitoring("SELECT * FROM orders WHERE id = $1")


def test_table_infos_turn_counters_into_capture_deltas_and_index_scans_per_index() -> None:
    info = TableInfo(
        schema_name="public", name="t", indexes=[IndexInfo(name="t_pkey", columns=["id"], primary=True)]
    )
    start = [
        TableReading("public", "t", {"seq_scan": 10, "seq_tup_read": 1000, "n_tup_upd": 5}, {"t_pkey": 100})
    ]
    end = [
        TableReading("public", "t", {"seq_scan": 25, "seq_tup_read": 4000, "n_tup_upd": 9}, {"t_pkey": 130})
    ]
    [out] = table_infos([info], start, end)
    assert (out.seq_scans_in_capture, out.seq_rows_read_in_capture, out.rows_updated_in_capture) == (
        15,
        3000,
        4,
    )
    assert out.rows_inserted_in_capture is None  # not measured, not invented
    assert out.indexes[0].scans_in_capture == 30


def _activity(digest: str, text: str, schema: str | None = None) -> StatementActivity:
    return StatementActivity(digest=digest, text=text, schema_name=schema, total=StatementCounters(calls=1))


def test_tables_touched_follow_the_statements_and_mysql_names_get_their_schema() -> None:
    statements = [
        _activity("1", "SELECT * FROM `orders` o JOIN `items` i ON i.oid = o.id", "shop"),
        _activity("2", "UPDATE orders SET n = ? WHERE id = ?", "shop"),
        _activity("3", "DELETE FROM audit.log WHERE id < ?", "shop"),
    ]
    assert tables_touched(statements, "mysql") == ["shop.orders", "shop.items", "audit.log"]
    assert [a.digest for a in plan_candidates(statements, "mysql")] == ["1"]
