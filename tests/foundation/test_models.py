"""The incident contract: what it accepts, what it rejects, and that JSON round-trips it exactly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models import Incident, Instance, MetricSeries, TimeWindow, json_schema
from sources.errors import describe_validation


def _series(ts: list[float], vs: list[float | None]) -> MetricSeries:
    return MetricSeries(name="m", timestamps=ts, values=vs)


def _error(fn: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    return describe_validation(info.value)


def test_unsorted_timestamps_name_the_index() -> None:
    assert _error(_series, [1.0, 3.0, 2.0], [1.0, 2.0, 3.0]) == (
        "timestamps: unsorted timestamp at index 2 (2.0 after 3.0)"
    )


def test_duplicate_timestamps_are_rejected() -> None:
    assert (
        _error(_series, [1.0, 1.0], [1.0, 2.0])
        == "timestamps: duplicate timestamp at index 1 (1.0 after 1.0)"
    )


def test_unequal_lengths_are_rejected() -> None:
    assert _error(_series, [1.0, 2.0], [1.0]) == "(top level): series 'm' has 2 timestamps but 1 values"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_rejected(bad: float) -> None:
    assert (
        _error(_series, [1.0, 2.0], [1.0, bad])
        == f"values: value at index 1 is {bad}; use null for a missing sample"
    )


def test_missing_samples_are_allowed() -> None:
    assert _series([1.0, 2.0, 3.0], [1.0, None, 2.0]).values == [1.0, None, 2.0]


def test_unknown_engine_is_rejected() -> None:
    assert (
        _error(Instance, engine="oracle")
        == "engine: Input should be 'mysql', 'mariadb' or 'postgres' (got 'oracle')"
    )


def test_window_must_be_ordered() -> None:
    assert _error(TimeWindow, start=5.0, end=1.0) == "(top level): window start 5.0 is after its end 1.0"


def test_unknown_fields_are_rejected() -> None:
    msg = _error(Incident.model_validate, {"id": "x", "instance": {"engine": "mysql"}, "colour": 1})
    assert msg == "colour: Extra inputs are not permitted"


def test_schema_names_every_section() -> None:
    props = json_schema("incident")["properties"]
    for key in ("id", "instance", "metrics", "window", "events", "top_sql", "lock_waits", "logs", "labels"):
        assert key in props


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    n = draw(st.integers(0, 20))
    start = draw(st.floats(0, 1e9, allow_nan=False))
    steps = draw(st.lists(st.floats(0.001, 100, allow_nan=False), min_size=n, max_size=n))
    ts: list[float] = []
    t = start
    for s in steps:
        t += s
        if ts and t <= ts[-1]:
            t = math.nextafter(ts[-1], math.inf)
        ts.append(t)
    names = draw(st.lists(st.text(min_size=1, max_size=12), max_size=4, unique=True))
    metrics = [
        MetricSeries(
            name=name, timestamps=ts, values=draw(st.lists(st.none() | finite, min_size=n, max_size=n))
        )
        for name in names
    ]
    window = None
    with_window: bool = draw(st.booleans())
    if ts and with_window:
        a, b = sorted(draw(st.lists(st.sampled_from(ts), min_size=2, max_size=2)))
        window = TimeWindow(start=a, end=b)
    return Incident(
        id=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}", fullmatch=True)),
        title=draw(st.text(max_size=30)),
        instance=Instance(engine=draw(st.sampled_from(["mysql", "mariadb", "postgres"]))),
        metrics=metrics,
        window=window,
        labels=draw(st.lists(st.sampled_from(["lock_contention", "missing_index"]), max_size=2)),
    )


@given(incidents())
def test_json_round_trip_is_exact(incident: Incident) -> None:
    again = Incident.model_validate_json(incident.model_dump_json())
    assert again == incident
