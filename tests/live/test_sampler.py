"""The sampling loop: pacing, one timeline, and nothing lost when the server goes away."""

from __future__ import annotations

import pytest

from sources.live import PartialCollection, collect, sample_count
from sources.live.errors import CollectError
from sources.live.sample import Sample, ServerInfo, StatementReading
from tests.live.fakes import FakeClock, ScriptedCollector

DSN = "postgresql://u:topsecret@db.example:5432/app"


def _collector(n: int, clock: FakeClock, **kw: object) -> ScriptedCollector:
    return ScriptedCollector(
        counters=[{"pg_stat_database.xact_commit": 100.0 * i} for i in range(n)],
        gauges=[{"pg_stat_activity.total": float(i)} for i in range(n)],
        clock=clock,
        **kw,  # type: ignore[arg-type]
    )


def test_sample_count_covers_the_duration_inclusive() -> None:
    assert (sample_count(60, 1), sample_count(20, 2), sample_count(0, 1)) == (61, 11, 1)
    with pytest.raises(CollectError):
        sample_count(10, 0)


def test_samples_are_paced_on_one_timeline_and_counters_become_rates() -> None:
    clock = FakeClock()
    coll = _collector(4, clock, cost_s=0.25)
    seen: list[tuple[int, float]] = []

    def on_sample(i: int, s: Sample) -> None:
        seen.append((i, s.time))

    incident = collect(DSN, 3, 1, collector=coll, clock=clock, on_sample=on_sample)
    t0 = 1_700_000_000.0
    assert seen == [(0, t0), (1, t0 + 1), (2, t0 + 2), (3, t0 + 3)]
    assert clock.sleeps == [0.75, 0.75, 0.75]  # each interval minus the 0.25 s a sample costs
    series = {m.name: m.values for m in incident.metrics}
    assert series["pg_stat_database.xact_commit"] == [100.0, 100.0, 100.0]
    assert series["pg_stat_activity.total"] == [1.0, 2.0, 3.0]
    assert incident.settings == {"max_connections": "100"}
    assert coll.closed


def test_a_lost_server_keeps_every_sample_taken_before_it() -> None:
    clock = FakeClock()
    coll = _collector(10, clock, fail_at=3)
    with pytest.raises(PartialCollection) as info:
        collect(DSN, 9, 1, collector=coll, clock=clock)
    partial = info.value.incident
    assert info.value.message == (
        "lost the connection to postgresql://u:***@db.example:5432/app: server closed; kept 3 sample(s)"
    )
    assert {m.name: m.values for m in partial.metrics}["pg_stat_activity.total"] == [1.0, 2.0]
    assert partial.logs[-1].level == "error"
    assert "topsecret" not in partial.model_dump_json()
    assert coll.closed


def test_an_interrupted_capture_is_kept_too() -> None:
    clock = FakeClock()
    with pytest.raises(PartialCollection) as info:
        collect(DSN, 9, 1, collector=_collector(10, clock, interrupt_at=2), clock=clock)
    assert info.value.message == "capture interrupted; kept 2 sample(s)"
    assert len(info.value.incident.metrics[0].values) == 1


def _reading(calls: float, ms: float, text: str | None = None) -> StatementReading:
    return StatementReading(counters={"calls": calls, "total_time_ms": ms, "rows": calls}, text=text)


def test_statements_are_the_load_during_the_capture_and_their_tables_are_read_at_the_end() -> None:
    clock = FakeClock()
    readings = [
        {"1": _reading(5, 50.0, "SELECT * FROM orders WHERE id = $1")},
        {"1": _reading(15, 250.0), "2": _reading(1, 900.0, "UPDATE stock SET n = n - $1")},
        {"1": _reading(25, 450.0), "2": _reading(3, 2700.0)},
    ]
    coll = _collector(3, clock, statements=readings)
    incident = collect(DSN, 2, 1, collector=coll, clock=clock)
    assert [(d.digest, d.calls, d.total_time_ms, d.mean_time_ms) for d in incident.top_sql] == [
        ("2", 3, 2700.0, 900.0),
        ("1", 20, 400.0, 20.0),
    ]
    first = incident.statements[1]
    assert (first.series.calls, first.series.time_ms) == ([10.0, 10.0], [200.0, 200.0])
    assert incident.statements[0].series.calls == [1.0, 2.0]  # new mid-capture: counted from zero
    assert coll.asked_details == [["stock", "orders"]]
    assert coll.asked_plans == [["1"]]  # reads are explained, writes are not


def test_a_bad_dsn_is_a_one_line_collect_error() -> None:
    with pytest.raises(CollectError) as info:
        collect("redis://u:pw@h/0", 1, 1)
    assert str(info.value).startswith("DSN 'redis://u:***@h/0' must start with one of")


class _Refusing(ScriptedCollector):
    def connect(self) -> ServerInfo:
        raise CollectError("cannot connect to postgresql://u:***@db.example:5432/app: connection refused")


def test_a_failed_connect_raises_its_message_and_releases_the_collector() -> None:
    coll = _Refusing(counters=[], gauges=[])
    with pytest.raises(CollectError) as info:
        collect(DSN, 5, 1, collector=coll, clock=FakeClock())
    assert str(info.value) == "cannot connect to postgresql://u:***@db.example:5432/app: connection refused"
    assert coll.closed
