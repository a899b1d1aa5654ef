"""The evaluation-set generator: compounds keep physics and labels, healthy slices keep no anomaly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Incident, Instance, MetricSeries, TimeWindow
from sources.evalsets import GUARD_SAMPLES, EvalSetOptions, compose, generate, healthy_slices

UNITS = {"cpu": "percent", "share": "ratio", "rate": "per_second", "total": "rows", "temp": "celsius"}
LIMITS = {"cpu": (0.0, 100.0), "share": (0.0, 1.0), "rate": (0.0, math.inf)}


def _case(
    cause: str, n: int, window: tuple[int, int], moves: dict[str, float], seed: int, name: str = ""
) -> Incident:
    """``n`` one-second samples of five metrics; over ``window`` each metric in ``moves`` moves by it."""
    rng = np.random.default_rng(seed)
    t = [float(i) for i in range(n)]
    normal = {"cpu": 40.0, "share": 0.5, "rate": 200.0, "temp": -5.0}
    metrics = []
    for metric, level in normal.items():
        values = level * (1.0 + 0.05 * rng.standard_normal(n))
        values[window[0] : window[1] + 1] += moves.get(metric, 0.0)
        low, high = LIMITS.get(metric, (-math.inf, math.inf))
        values = np.clip(values, low, high)  # the recordings themselves are physical
        metrics.append(MetricSeries(name=metric, unit=UNITS[metric], timestamps=t, values=values.tolist()))
    steps = rng.integers(1, 5, n).astype(float)
    steps[window[0] : window[1] + 1] *= 1.0 + moves.get("total", 0.0)
    metrics.append(MetricSeries(name="total", unit="rows", timestamps=t, values=np.cumsum(steps).tolist()))
    return Incident(
        id=name or f"{cause}-{seed}",
        instance=Instance(engine="mysql"),
        metrics=metrics,
        window=TimeWindow(start=t[window[0]], end=t[window[1]]),
        labels=[cause],
        source=f"test:{cause}",
    )


def _values(incident: Incident, name: str) -> np.ndarray:
    [m] = [m for m in incident.metrics if m.name == name]
    return np.array([math.nan if v is None else v for v in m.values])


def _unit(name: str) -> str:
    return UNITS.get(name, "")


MOVES = st.fixed_dictionaries(
    {
        "cpu": st.floats(-60.0, 90.0),
        "share": st.floats(-0.6, 0.9),
        "rate": st.floats(-400.0, 2000.0),
        "temp": st.floats(-30.0, 30.0),
        "total": st.floats(0.0, 5.0),
    }
)


@settings(max_examples=40, deadline=None)
@given(
    first=MOVES,
    second=MOVES,
    starts=st.tuples(st.integers(25, 45), st.integers(25, 45)),
    lengths=st.tuples(st.integers(10, 40), st.integers(10, 40)),
    offset=st.integers(-10, 10),
    seed=st.integers(0, 2**16),
)
def test_a_compound_keeps_physical_limits_labels_and_the_union_of_windows(
    first: dict[str, float],
    second: dict[str, float],
    starts: tuple[int, int],
    lengths: tuple[int, int],
    offset: int,
    seed: int,
) -> None:
    a = _case("cpu_saturation", 120, (starts[0], starts[0] + lengths[0] - 1), first, seed)
    b = _case("io_saturation", 130, (starts[1], starts[1] + lengths[1] - 1), second, seed + 1)
    out = compose([a, b], [0, offset], _unit)
    assert out.labels == ["cpu_saturation", "io_saturation"] and out.window is not None
    assert [m.name for m in out.metrics] == [m.name for m in a.metrics]
    assert all(m.timestamps == a.metrics[0].timestamps for m in out.metrics)
    cpu, share, rate, temp = (_values(out, n) for n in ("cpu", "share", "rate", "temp"))
    assert np.all((cpu >= 0.0) & (cpu <= 100.0))
    assert np.all((share >= 0.0) & (share <= 1.0))
    assert np.all(rate >= 0.0)
    assert np.any(temp < 0.0) or np.all(_values(a, "temp") >= 0.0)  # a series that can go negative may
    assert np.all(np.diff(_values(out, "total")) >= 0.0)  # a running total keeps running
    onset = min(max(0, starts[0] + offset), 119)
    end_b = min(onset + lengths[1] - 1, 119)
    assert (out.window.start, out.window.end) == (
        float(min(starts[0], onset)),
        float(max(starts[0] + lengths[0] - 1, end_b)),
    )


def test_outside_every_window_a_compound_is_its_host() -> None:
    a = _case("cpu_saturation", 100, (40, 59), {"cpu": 30.0, "rate": 500.0}, 1)
    b = _case("io_saturation", 100, (30, 49), {"rate": -150.0}, 2)
    out = compose([a, b], [0, 5], _unit)
    outside = np.r_[0:40, 65:100]
    for name in ("cpu", "share", "rate", "temp"):
        np.testing.assert_allclose(_values(out, name)[outside], _values(a, name)[outside])
    # inside, the second case's departure from its own normal is added onto the host
    b_normal = float(np.median(np.r_[_values(b, "rate")[:30], _values(b, "rate")[50:]]))
    added = _values(b, "rate")[30] - b_normal
    assert _values(out, "rate")[45] == pytest.approx(max(0.0, _values(a, "rate")[45] + added))


def test_healthy_slices_stay_clear_of_the_window_and_hold_no_cause() -> None:
    case = _case("flush_log_table", 140, (50, 79), {"rate": -190.0}, 3)
    before, after = healthy_slices(case)
    for piece in (before, after):
        assert piece.label_healthy and piece.labels == [] and piece.window is None
        assert len(piece.metrics) == len(case.metrics)
    assert before.metrics[0].timestamps == [float(t) for t in range(0, 50 - GUARD_SAMPLES)]
    assert after.metrics[0].timestamps == [float(t) for t in range(80 + GUARD_SAMPLES, 140)]
    assert healthy_slices(case, before=False) == [after]
    assert healthy_slices(case, min_samples=60) == []


def test_a_healthy_label_with_causes_is_rejected() -> None:
    case = _case("flush_log_table", 40, (10, 19), {}, 3)
    with pytest.raises(ValueError, match="label_healthy"):
        Incident.model_validate({**case.model_dump(), "label_healthy": True})


def _cases() -> list[Incident]:
    causes = ["cpu_saturation", "io_saturation", "lock_contention", "poor_physical_design"]
    return [
        _case(cause, 110, (30 + k, 50 + k), {"rate": 100.0 * (k + 1)}, 10 * i + k, f"{cause}-{k}")
        for i, cause in enumerate(causes)
        for k in range(2)
    ]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_generation_is_reproducible_and_mixes_different_causes(seed: int) -> None:
    options = EvalSetOptions(seed=seed, pairs=8, triples=4)
    first, again = generate(_cases(), options, _unit), generate(_cases(), options, _unit)
    assert [c.id for c in first.compounds] == [c.id for c in again.compounds]
    assert first.compounds == again.compounds and first.healthy == again.healthy
    sizes = [len(c.labels) for c in first.compounds]
    assert sizes == [2] * 8 + [3] * 4  # every label distinct: different causes only
    pairs = {tuple(c.labels) for c in first.compounds[:8]}
    assert len(pairs) == 6  # all six pairs of four causes before any repeats
    # the cause whose injection precedes its labelled rows gives no slice before them
    assert not any(s.id.startswith("poor_physical_design") and "before" in s.id for s in first.healthy)
    assert sum("before" in s.id for s in first.healthy) == 6


def _with_commits(case: Incident, normal: float, inside: float) -> Incident:
    """``case`` with a commits-per-second series: ``normal`` outside its window, ``inside`` within it."""
    assert case.window is not None
    t = case.metrics[0].timestamps
    values = [inside if case.window.start <= x <= case.window.end else normal for x in t]
    commits = MetricSeries(name="commits", unit="per_second", timestamps=t, values=values)
    return case.model_copy(update={"metrics": [*case.metrics, commits]})


def _commits_only(name: str) -> str | None:
    return "commits" if name == "commits" else None


def test_a_cause_riding_on_the_workload_leaves_no_trace_where_another_stops_the_transactions() -> None:
    freeze = _with_commits(_case("flush_log_table", 100, (40, 69), {"cpu": -20.0}, 1), 100.0, 2.0)
    spike = _with_commits(_case("workload_spike", 100, (30, 49), {"rate": 900.0}, 2), 100.0, 180.0)
    out = compose([freeze, spike], [0, 5], _unit, metric_of=_commits_only)
    # the freeze lets 2 % of the transactions run: the spike's extra clients commit nothing either
    assert out.labels == ["flush_log_table"]
    np.testing.assert_allclose(_values(out, "rate"), _values(freeze, "rate"))
    assert _values(out, "commits")[50] == pytest.approx(2.0)


def test_a_cause_riding_on_the_workload_shows_beside_one_that_lets_it_run() -> None:
    hog = _with_commits(_case("cpu_saturation", 100, (40, 69), {"cpu": 40.0}, 1), 100.0, 100.0)
    spike = _with_commits(_case("workload_spike", 100, (30, 49), {"rate": 900.0}, 2), 100.0, 180.0)
    out = compose([hog, spike], [0, 5], _unit, metric_of=_commits_only)
    assert out.labels == ["cpu_saturation", "workload_spike"]
    # the spike's extra commits ride on a workload the hog leaves running
    assert _values(out, "commits")[50] == pytest.approx(180.0)
