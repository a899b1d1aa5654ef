"""Signals on real DBSherlock recordings (exact expectations) and their invariants (hypothesis)."""

from __future__ import annotations

import collections
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_graph import DATA_DIR, KnowledgeGraph, load_default_graph, load_graph
from models import SIGNAL_NUMERIC_FIELDS, Incident, Instance, MetricSeries, TimeWindow
from rules import stats
from rules.signals import SignalError, extract_signals, sanitize_metric_name
from sources.evalsets import EvalSetOptions, generate
from tests.rules.fakes import KG as CORE
from tests.rules.signal_support import dbsherlock_case, dbsherlock_cases, incident


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load_default_graph()


# ---- real recordings ---------------------------------------------------------------------------


def test_cpu_saturation_is_system_time_not_the_database(kg: KnowledgeGraph) -> None:
    signals = extract_signals(dbsherlock_case("cpu_saturation-01"), kg)
    assert not signals.inferred and signals.skipped == []
    cpu_system = signals.get("cpu_system")
    assert cpu_system is not None
    assert cpu_system.attrs["direction"] == "up" and cpu_system.attrs["shape"] == "level_shift"
    assert cpu_system.attrs["score"] == pytest.approx(39.53, abs=0.01)
    assert cpu_system.attrs["ratio"] == pytest.approx(16.69, abs=0.01)
    assert float(cpu_system.attrs["confidence"]) > 0.99
    idle = signals.get("cpu_idle")
    assert idle is not None and idle.attrs["direction"] == "down" and idle.attrs["anomaly"] == 0.0
    db_cpu = signals.get("db_cpu")
    assert db_cpu is not None and db_cpu.attrs["direction"] == "none" and db_cpu.attrs["shape"] == "flat"
    # the hog's time is kernel time: system CPU outgrew user CPU and took most of the busy CPU
    share = signals.get("cpu_system_share")
    assert share is not None and share.attrs["direction"] == "up"
    assert (share.attrs["baseline"], share.attrs["anomaly"]) == (17.08, 63.17)
    assert share.source == "signals: cpu_system as a share of cpu_user + cpu_system"


def test_poorly_written_query_saturates_user_cpu_from_inside_the_database(kg: KnowledgeGraph) -> None:
    signals = extract_signals(dbsherlock_case("poorly_written_query-02"), kg)
    user = signals.get("cpu_user")
    assert user is not None and user.attrs["shape"] == "saturation" and user.attrs["direction"] == "up"
    assert user.attrs["anomaly"] == pytest.approx(97.12, abs=0.01)
    db_cpu = signals.get("db_cpu")
    assert (
        db_cpu is not None
        and db_cpu.attrs["ratio"] == pytest.approx(12.0)
        and float(db_cpu.attrs["score"]) > 7
    )


def test_network_congestion_raises_latency_while_traffic_collapses(kg: KnowledgeGraph) -> None:
    signals = extract_signals(dbsherlock_case("network_congestion-03"), kg)
    latency = signals.get("latency")
    assert latency is not None and latency.attrs["direction"] == "up"
    assert latency.attrs["ratio"] == pytest.approx(2.542, abs=0.001)
    received = signals.get("network_receive")
    assert received is not None and float(received.attrs["ratio"]) < 0.05
    # the KB/s column is scaled to the graph's bytes/s
    assert received.attrs["baseline"] == pytest.approx(167700.0, rel=1e-3)
    idle = signals.get("cpu_idle")
    assert idle is not None and idle.attrs["direction"] == "up" and idle.attrs["shape"] != "saturation"


def test_every_column_becomes_a_fact_and_per_core_cpu_is_one(kg: KnowledgeGraph) -> None:
    case = dbsherlock_case("table_restore-01")
    signals = extract_signals(case, kg)
    names = [f.name for f in signals.facts]
    assert len(names) == len(set(names))
    assert names.count("cpu_user") == 1  # four per-core columns and AvgCpuUser
    user = signals.get("cpu_user")
    assert user is not None and "cpu_usr (core #1)" in user.source and "AvgCpuUser" in user.source
    mapped = {kg.resolve_metric(m.name) or sanitize_metric_name(m.name) for m in case.metrics}
    assert set(names) == mapped | {"cpu_system_share"}
    inserted = signals.get("rows_inserted")
    assert (
        inserted is not None and float(inserted.attrs["score"]) > 30 and float(inserted.attrs["ratio"]) > 10
    )
    for fact in signals.facts:
        assert fact.kind == "signal" and fact.text.startswith(fact.name)
        numbers = [fact.attrs[k] for k in SIGNAL_NUMERIC_FIELDS]
        assert all(isinstance(v, float) and math.isfinite(v) for v in numbers)


def test_statistics_run_once_over_all_metrics_not_once_per_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every metric is measured in the same matrix operations, which is what keeps ~100 metrics
    within milliseconds (``bench/bench_rules.py`` measures how many): ten times the metrics, the
    same number of statistics calls."""
    calls: collections.Counter[str] = collections.Counter()

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return fn(*args, **kwargs)

        return call

    for name in ("row_count", "row_median", "row_quantile", "row_mad", "row_extreme", "share_beyond"):
        monkeypatch.setattr(stats, name, counted(name, getattr(stats, name)))
    seen = []
    for n in (3, 30):
        calls.clear()
        series = {f"m{i}": [v * (i + 1) for v in STEP] for i in range(n)}
        assert len(extract_signals(incident(series, (8, 11)), CORE).facts) == n
        seen.append(dict(calls))
    assert seen[0] == seen[1] and sum(seen[0].values()) > 0


# ---- behaviour on small inputs ---------------------------------------------------------------

STEP = [10.0, 11.0, 9.0, 10.0, 10.5, 9.5, 10.0, 10.0, 40.0, 41.0, 39.0, 40.0, 10.0, 10.0, 9.0, 11.0]


def test_unknown_metric_is_kept_under_a_safe_name() -> None:
    signals = extract_signals(incident({"Weird Metric (x #1)": list(STEP)}, (8, 11)), CORE)
    fact = signals.facts[0]
    assert fact.name == "weird_metric_x_1"
    assert "unmapped" in fact.source and "Weird Metric (x #1)" in fact.source
    assert fact.attrs["direction"] == "up" and fact.attrs["shape"] == "level_shift"
    assert (fact.attrs["baseline"], fact.attrs["anomaly"], fact.attrs["ratio"]) == (10.0, 40.0, 4.0)


def test_columns_of_one_metric_combine_by_its_aggregate_and_scale() -> None:
    # net_bytes sums its columns; net_b is in KiB (scale 1024)
    signals = extract_signals(incident({"net_a": list(STEP), "net_b": list(STEP)}, (8, 11)), CORE)
    (fact,) = signals.facts
    assert fact.name == "net_bytes" and fact.text.startswith(
        "net_bytes up (level_shift): 10250 bytes normally"
    )
    assert fact.attrs["baseline"] == 10.0 * 1025 and fact.attrs["anomaly"] == 40.0 * 1025


def test_brief_burst_is_a_spike_not_a_level_shift() -> None:
    values = [10.0 + (i % 3) * 0.5 for i in range(40)]
    values[20] = values[21] = 90.0
    signals = extract_signals(incident({"m": values}, (15, 30)), CORE)
    fact = signals.facts[0]
    assert fact.attrs["shape"] == "spike" and fact.attrs["direction"] == "up"
    assert fact.attrs["peak"] == 90.0 and abs(float(fact.attrs["score"])) < 1


def test_ramp_is_a_trend() -> None:
    values = [5.0 + (i % 2) * 0.2 for i in range(30)] + [5.0 + 3.0 * k for k in range(15)] + [5.0] * 10
    signals = extract_signals(incident({"m": values}, (30, 44)), CORE)
    assert signals.facts[0].attrs["shape"] == "trend" and signals.facts[0].attrs["direction"] == "up"


def test_too_few_samples_are_skipped_and_named() -> None:
    signals = extract_signals(
        incident({"m": list(STEP), "sparse": [None] * 8 + [40.0] * 4 + [None] * 4}, (8, 11)), CORE
    )
    assert [f.name for f in signals.facts] == ["m"]
    assert signals.skipped == ["sparse: 4 samples inside and 0 outside the window"]


def test_no_metrics_is_an_error() -> None:
    with pytest.raises(SignalError):
        extract_signals(incident({}, (0, 1)), CORE)


def test_a_database_doing_more_keeps_its_cpu_split_and_a_kernel_hog_moves_it(kg: KnowledgeGraph) -> None:
    user = [10.0, 11.0, 9.0, 10.0] * 5 + [40.0, 44.0, 36.0, 40.0] * 2 + [10.0, 11.0, 9.0, 10.0] * 2
    busier = extract_signals(incident({"cpu_user": user, "cpu_system": [u / 4 for u in user]}, (20, 27)), kg)
    share = busier.get("cpu_system_share")
    assert share is not None and share.attrs["direction"] == "none"
    assert (share.attrs["baseline"], share.attrs["anomaly"]) == (20.0, 20.0)
    hogged = extract_signals(
        incident({"cpu_user": [10.0] * 36, "cpu_system": [u / 4 for u in user]}, (20, 27)), kg
    )
    share = hogged.get("cpu_system_share")
    assert share is not None and share.attrs["direction"] == "up"
    assert (share.attrs["baseline"], share.attrs["anomaly"]) == (20.0, 50.0)


def test_an_idle_sample_has_no_share_and_the_share_needs_its_whole_measured(kg: KnowledgeGraph) -> None:
    # the window is mostly idle: no CPU time to divide is no share, not a kernel share of 0 %
    user = [10.0, 12.0, 8.0] * 4 + [0.0, 0.0, 0.0, 0.0, 10.0, 10.0] + [10.0, 12.0, 8.0] * 2
    share = extract_signals(incident({"cpu_user": user, "cpu_system": [u / 4 for u in user]}, (12, 17)), kg)
    fact = share.get("cpu_system_share")
    assert fact is not None and fact.attrs["direction"] == "none"
    assert (fact.attrs["baseline"], fact.attrs["anomaly"]) == (20.0, 20.0)
    alone = extract_signals(incident({"cpu_system": [u / 4 for u in user]}, (12, 17)), kg)
    assert [f.name for f in alone.facts] == ["cpu_system"]


def test_a_share_does_not_vote_on_whether_a_capture_is_abnormal(kg: KnowledgeGraph) -> None:
    steady = [10.0, 10.5, 9.5, 10.2, 9.8] * 12
    signals = extract_signals(incident({"cpu_user": steady, "cpu_system": steady[::-1]}, None), kg)
    assert signals.health is not None and signals.health.metrics == 2
    assert signals.get("cpu_system_share") is not None


def test_missing_window_is_inferred_and_flagged() -> None:
    values = [10.0, 10.5, 9.5] * 10 + [60.0, 61.0, 59.0] * 5 + [10.0, 10.5, 9.5] * 10
    signals = extract_signals(incident({"m": values, "n": [v * 2 for v in values]}, None), CORE)
    assert signals.inferred
    assert (signals.window.start, signals.window.end) == (30.0, 44.0)


def _timed(times: list[float], values: list[float], window: tuple[float, float] | None) -> Incident:
    return Incident(
        id="t",
        instance=Instance(engine="mysql"),
        metrics=[MetricSeries(name="m", timestamps=times, values=values)],
        window=None if window is None else TimeWindow(start=window[0], end=window[1]),
    )


def test_a_stalled_sampler_weighs_its_samples_by_the_time_they_stand_for() -> None:
    # 0.5 s sampling; in the window the sampler stalls, and three samples stand for 15.5 s at 9-11
    # while the five steady samples before and after them read the normal 1
    normal = [0.5 * i for i in range(40)]
    stalled = [20.0, 20.5, 21.0, 25.0, 36.0, 36.5, 37.0, 37.5]
    after = [38.0 + 0.5 * i for i in range(20)]
    values = [1.0] * 40 + [1.0, 1.0, 11.0, 11.0, 9.0, 1.0, 1.0, 1.0] + [1.0] * 20
    fact = extract_signals(_timed(normal + stalled + after, values, (20.0, 37.5)), CORE).facts[0]
    assert (fact.attrs["baseline"], fact.attrs["anomaly"]) == (1.0, 9.0)
    assert fact.attrs["direction"] == "up" and fact.attrs["shape"] == "level_shift"


def test_a_hole_in_a_capture_is_not_filled_by_the_sample_after_it() -> None:
    # 1 s sampling, the server unreachable for 200 s; the first sample after the hole is an
    # outlier that must weigh as one sample, not as the 200 s before it
    times = [float(i) for i in range(30)] + [230.0 + i for i in range(30)]
    values = [10.0, 10.5, 9.5] * 10 + [90.0] + [10.0, 10.5, 9.5] * 9 + [10.0, 10.5]
    fact = extract_signals(_timed(times, values, (240.0, 250.0)), CORE).facts[0]
    assert fact.attrs["baseline"] == 10.0 and fact.attrs["direction"] == "none"


# ---- invariants --------------------------------------------------------------------------------

SAMPLE = st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(SAMPLE, min_size=20, max_size=20), min_size=1, max_size=5), st.randoms())
def test_order_of_metrics_does_not_matter(rows: list[list[float | None]], rnd: object) -> None:
    series = {f"m{i}": row for i, row in enumerate(rows)}
    names = list(series)
    rnd.shuffle(names)  # type: ignore[attr-defined]
    first = extract_signals(incident(series, (8, 13)), CORE)
    second = extract_signals(incident({n: series[n] for n in names}, (8, 13)), CORE)
    assert {f.name: f.attrs for f in first.facts} == {f.name: f.attrs for f in second.facts}
    assert sorted(first.skipped) == sorted(second.skipped)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=12, max_value=80))
def test_constant_series_is_flat_with_zero_confidence(value: float, n: int) -> None:
    signals = extract_signals(incident({"c": [value] * n}, (n // 2, n // 2 + 3)), CORE)
    fact = signals.facts[0]
    assert (fact.attrs["shape"], fact.attrs["direction"], fact.attrs["confidence"]) == ("flat", "none", 0.0)
    assert fact.attrs["score"] == 0.0 and fact.attrs["ratio"] == 1.0


@settings(max_examples=80, deadline=None)
@given(st.lists(SAMPLE, min_size=1, max_size=60), st.booleans())
def test_missing_samples_never_crash_and_numbers_stay_sane(values: list[float | None], infer: bool) -> None:
    n = len(values)
    signals = extract_signals(incident({"m": values, "k": [1.0] * n}, (n // 3, n // 2)), CORE, infer)
    assert 0 <= signals.window.start <= signals.window.end <= n - 1
    for fact in signals.facts:
        assert 0.0 <= float(fact.attrs["confidence"]) <= 1.0
        assert all(math.isfinite(float(fact.attrs[k])) for k in SIGNAL_NUMERIC_FIELDS)
        assert (fact.attrs["direction"] == "none") == (fact.attrs["shape"] == "flat")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=1.0, max_value=1e4), min_size=24, max_size=24),
    st.floats(min_value=0.01, max_value=100.0),
)
def test_units_do_not_change_the_verdict(values: list[float], factor: float) -> None:
    plain = extract_signals(incident({"m": values}, (8, 15)), CORE).facts[0]
    scaled = extract_signals(incident({"m": [v * factor for v in values]}, (8, 15)), CORE).facts[0]
    assert scaled.attrs["shape"] == plain.attrs["shape"]
    assert scaled.attrs["direction"] == plain.attrs["direction"]
    assert float(scaled.attrs["score"]) == pytest.approx(float(plain.attrs["score"]), rel=1e-3, abs=1e-3)
    assert float(scaled.attrs["ratio"]) == pytest.approx(float(plain.attrs["ratio"]), rel=1e-3, abs=1e-3)


def test_unknown_name_never_merges_into_a_canonical_metric() -> None:
    # "Combined Avg Latency" is a vendor name of latency; "Latency." names nothing in the graph,
    # yet its safe name would be "latency"
    signals = extract_signals(
        incident({"Latency.": list(STEP), "Combined Avg Latency": list(STEP)}, (8, 11)), CORE
    )
    assert sorted(f.name for f in signals.facts) == ["latency", "latency_unmapped"]
    mapped = signals.get("latency")
    assert mapped is not None and mapped.source == "signals: Combined Avg Latency"


# ---- windows and parts --------------------------------------------------------------------------


def _wobble(level: float, n: int, phase: int) -> list[float]:
    return [level * (1 + 0.02 * ((t * 7 + phase) % 5 - 2)) for t in range(n)]


def _two_causes() -> dict[str, list[float | None]]:
    """Over 60..119 three metrics triple; over 100..119 only, three others fall to a tenth."""
    series: dict[str, list[float | None]] = {}
    for k in range(3):
        values = _wobble(20.0 + k, 150, k)
        series[f"a{k}"] = [v * 3 if 60 <= t < 120 else v for t, v in enumerate(values)]
    for k in range(3):
        values = _wobble(50.0 + k, 150, k + 3)
        series[f"b{k}"] = [v * 0.1 if 100 <= t < 120 else v for t, v in enumerate(values)]
    return series


def test_a_part_where_other_metrics_move_is_measured_on_its_own() -> None:
    """Over the whole window the b metrics moved for a third of the samples, so their medians stay
    near normal; on the part 100..119 they fell to a tenth of normal."""
    signals = extract_signals(incident(_two_causes(), (60, 119)), CORE)
    assert [(w.window.start, w.window.end) for w in signals.windows] == [(60, 119), (100, 119)]
    whole, part = ({f.name: f for f in w.facts} for w in signals.windows)
    assert whole["a0"].attrs["direction"] == part["a0"].attrs["direction"] == "up"
    assert part["b0"].attrs["direction"] == "down" and part["b0"].attrs["ratio"] == pytest.approx(
        0.1, abs=0.01
    )
    assert float(whole["b0"].attrs["ratio"]) > 0.9
    assert signals.facts == signals.windows[0].facts and signals.health is None


def test_only_watched_metrics_earn_a_part() -> None:
    """The part shows the b metrics moving; when no rule reads them, there is nothing to measure."""
    signals = extract_signals(incident(_two_causes(), (60, 119)), CORE, watched=frozenset({"a0", "a1"}))
    assert [(w.window.start, w.window.end) for w in signals.windows] == [(60, 119)]


def test_an_inferred_window_comes_with_its_test() -> None:
    signals = extract_signals(incident(_two_causes(), None), CORE)
    assert signals.inferred and not signals.healthy and signals.health is not None
    assert (signals.window.start, signals.window.end) == (60.0, 119.0)
    assert signals.health.p_value <= 0.01 and signals.health.samples == 150
    steady = {name: _wobble(30.0 + k, 150, k) for k, name in enumerate(("a0", "a1", "b0"))}
    calm = extract_signals(incident(dict(steady), None), CORE)
    assert calm.healthy and calm.windows == [] and calm.health is not None and calm.health.p_value > 0.01
    assert [f.name for f in calm.facts] == ["a0", "a1", "b0"]


def test_a_share_adds_its_own_fact_and_changes_no_other(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """Every other fact, window and part of a window is what the graph without the share gives,
    on the dev cases and on compounds of them, whose windows have parts."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    metrics = data / "metrics.yaml"
    metrics.write_text(
        "".join(line for line in metrics.read_text().splitlines(keepends=True) if "share: {" not in line)
    )
    without = load_graph([data])
    assert without.shares() == [] and len(kg.shares()) == 1
    cases = dbsherlock_cases()
    compounds = generate(cases, EvalSetOptions(seed=4, pairs=20, triples=10)).compounds
    for case, infer in [
        *((c, False) for c in cases),
        *((c, True) for c in cases),
        *((c, False) for c in compounds),
    ]:
        got, want = extract_signals(case, kg, infer), extract_signals(case, without, infer)
        assert [(w.window, [f for f in w.facts if f.name != "cpu_system_share"]) for w in got.windows] == [
            (w.window, w.facts) for w in want.windows
        ], case.id
        assert (got.window, got.health) == (want.window, want.health), case.id
