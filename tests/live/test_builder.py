"""Samples into an incident: rates from counters, resets and interval ratios."""

from __future__ import annotations

from sources.live.builder import IncidentBuilder, counter_rates, ratio_series
from sources.live.sample import Sample, ServerInfo

INFO = ServerInfo(engine="postgres", version="15.4", host="127.0.0.1:5432", vcpu=2, memory_gb=4.0, local=True)


def _samples() -> list[Sample]:
    return [
        Sample(time=10.0, counters={"c": 100.0, "hit": 90.0, "tot": 100.0}, gauges={"g": 1.0}),
        Sample(time=12.0, counters={"c": 140.0, "hit": 170.0, "tot": 200.0}, gauges={"g": 3.0}),
        Sample(time=13.0, counters={"c": 10.0, "hit": 170.0, "tot": 200.0}, gauges={}),
        Sample(time=14.0, counters={"c": 30.0, "hit": 180.0, "tot": 220.0}, gauges={"g": 2.0}),
    ]


def test_counter_rates_are_per_second_and_a_reset_is_a_gap() -> None:
    assert counter_rates(_samples(), "c") == ([12.0, 13.0, 14.0], [20.0, None, 20.0])


def test_ratio_series_uses_deltas_of_each_interval() -> None:
    assert ratio_series(_samples(), "hit", "tot") == ([12.0, 13.0, 14.0], [80.0, None, 50.0])


def test_builder_keeps_gauges_as_levels_and_counters_as_rates() -> None:
    builder = IncidentBuilder(info=INFO, started=10.0, interval_s=1.0)
    for s in _samples():
        builder.add(s)
    incident = builder.build()
    series = {m.name: m for m in incident.metrics}
    assert series["g"].values == [3.0, None, 2.0]  # the first sample only primes the rates
    assert series["g"].timestamps == [12.0, 13.0, 14.0]
    assert series["c"].values == [20.0, None, 20.0]
    assert series["c"].unit == "1/s"
    assert incident.instance.host == "127.0.0.1:5432"
    assert incident.instance.storage_type == "local"
    assert incident.source == "live:postgres"
    assert incident.id == "live-postgres-19700101T000010Z"
    assert incident.window is None
    assert (
        incident.logs[0].message == "sleuth live capture: 4 samples every 1 s from 127.0.0.1:5432, read-only"
    )


def test_a_single_sample_gives_gauges_only_and_an_early_stop_is_logged() -> None:
    builder = IncidentBuilder(info=INFO, started=10.0, interval_s=1.0)
    builder.add(_samples()[0])
    incident = builder.build(stopped_early="lost the connection; kept 1 sample(s)")
    assert [m.name for m in incident.metrics] == ["g"]
    assert (incident.logs[-1].level, incident.logs[-1].message) == (
        "error",
        "lost the connection; kept 1 sample(s)",
    )
