"""The one-sort statistics, the numpy-free scalings and the unvalidated signal facts give exactly
what numpy's own functions and pydantic's validation give."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models import Fact
from rules import segmentation, stats
from rules.engine import run_rules
from rules.signals import extract_signals
from tests.rules.fakes import KG, book_from, incident, signal

SAMPLES = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 1.7976931348623157e308, -1.7976931348623157e308]),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
)
VECTORS = arrays(np.float64, st.integers(1, 31), elements=SAMPLES)
MATRICES = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(0, 12)), elements=SAMPLES)
FINITE_MATRICES = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(1, 12)),
    elements=st.floats(-1e12, 1e12, allow_nan=False),
)


@given(VECTORS)
def test_median_is_numpys_bit_for_bit(values: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        want = np.float64(np.median(values))
        got = np.float64(stats.median(values))
    assert (np.isnan(want) and np.isnan(got)) or got.tobytes() == want.tobytes()


def test_median_of_a_lone_negative_zero_is_zero_as_numpy_makes_it() -> None:
    assert np.float64(stats.median(np.array([-0.0]))).tobytes() == np.float64(0.0).tobytes()
    assert np.float64(stats.median(np.array([-0.0, -0.0]))).tobytes() == np.float64(0.0).tobytes()
    assert stats.median(np.array([3.0, np.nan, 1.0])) != stats.median(np.array([3.0, np.nan, 1.0]))


@given(MATRICES)
def test_one_sort_gives_the_rows_medians_and_extremes(values: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        ordered = np.sort(values, axis=1)
        n = stats.row_count(values)
        assert stats.sorted_median(ordered, n).tobytes() == stats.row_median(values).tobytes()
        if not values.shape[1]:
            with pytest.raises(ValueError, match="zero-size array"):
                stats.row_extreme(values, largest=True)
            with pytest.raises(ValueError, match="zero-size array"):
                stats.sorted_extremes(ordered, n)
            return
        largest, smallest = stats.sorted_extremes(ordered, n)
        # equal as numbers: of a row holding both zeros, either may be the extreme
        assert np.array_equal(largest, stats.row_extreme(values, largest=True), equal_nan=True)
        assert np.array_equal(smallest, stats.row_extreme(values, largest=False), equal_nan=True)


def test_extremes_of_rows_with_gaps_and_without_samples() -> None:
    values = np.array(
        [[2.0, np.nan, -5.0, 7.0], [np.nan, np.nan, np.nan, np.nan], [np.inf, 1.0, 0.5, np.nan]]
    )
    largest, smallest = stats.sorted_extremes(np.sort(values, axis=1), stats.row_count(values))
    assert largest[0] == 7.0 and smallest[0] == -5.0
    assert np.isnan(largest[1]) and np.isnan(smallest[1])
    assert np.isnan(largest[2]) and smallest[2] == 0.5  # an infinite extreme is no measure


@given(FINITE_MATRICES)
def test_correlation_without_gaps_is_the_masked_one(values: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        fast = stats.row_time_correlation(values, stats.row_count(values))
        masked = stats.row_time_correlation(values)
    assert fast.tobytes() == masked.tobytes()


@given(MATRICES, st.booleans())
def test_share_beyond_with_known_counts_is_the_share_counted_afresh(values: np.ndarray, above: bool) -> None:
    bound = np.nanmedian(values, axis=1) if values.shape[1] else np.zeros(values.shape[0])
    with np.errstate(all="ignore"):
        known = stats.share_beyond(values, bound, above=above, n=stats.row_count(values))
        counted = stats.share_beyond(values, bound, above=above)
    assert known.tobytes() == counted.tobytes()


def test_share_beyond_counts_present_samples_only() -> None:
    values = np.array([[1.0, 5.0, np.nan, 9.0], [np.nan, np.nan, np.nan, np.nan]])
    share = stats.share_beyond(values, np.array([4.0, 0.0]), above=True)
    assert share.tolist() == [2 / 3, 0.0]


@given(MATRICES)
def test_the_plain_scaling_is_numpys_nan_mean_and_nan_std(values: np.ndarray) -> None:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN row warnings
        scaling = segmentation.fit_scaling(values, robust=False)
        if values.size:
            mean = stats.finite(np.nanmean(values, axis=1))
            spread = stats.finite(np.nanstd(values, axis=1))
            top = stats.finite(np.nanmax(np.abs(values), axis=1))
        else:
            mean = spread = top = np.zeros(values.shape[0])
    assert scaling.centre.tobytes() == mean.tobytes()
    assert scaling.sigma.tobytes() == np.maximum(spread, 0.05 * top + 1e-9).tobytes()


def test_signal_facts_are_what_validation_makes_of_them() -> None:
    found = extract_signals(incident({"cpu_user": 4.0, "latency": 3.0}), KG)
    assert found.facts
    for fact in found.facts:
        assert Fact.model_validate(fact.model_dump()) == fact
        assert Fact.model_validate_json(fact.model_dump_json()) == fact
        assert fact.model_fields_set == set(Fact.model_fields)
    moved = next(f for f in found.facts if f.name == "cpu_user")
    a = moved.attrs
    u = f" {KG.metric_info('cpu_user').unit}" if KG.metric_info("cpu_user").unit else ""
    assert a["direction"] == "up"
    assert moved.text == (
        f"cpu_user up ({a['shape']}): {a['baseline']:g}{u} normally -> {a['anomaly']:g}{u} in the "
        f"window (x{a['ratio']:g}, robust z {a['score']:+g}, peak {a['peak']:g})"
    )
    flat = next(f for f in found.facts if f.attrs["shape"] == "flat")
    b = flat.attrs
    assert flat.text.startswith(f"{flat.name} not clearly changed: {b['baseline']:g}")
    assert flat.text.endswith(f"in the window (robust z {b['score']:+g})")


def test_a_copied_signal_fact_does_not_share_what_it_was_given() -> None:
    first, second = extract_signals(incident({"cpu_user": 4.0}), KG).facts[:2]
    changed = first.model_copy(update={"certainty": 0.5})
    assert changed.certainty == 0.5 and first.certainty == 1.0
    assert second.model_fields_set == set(Fact.model_fields)


# A rule reading one metric's rise while another metric must not rise: facts moving any other way
# are never handed to the engine, which must change nothing it concludes.
DIRECTIONS = """
pack: directions
rules:
  - id: rising
    title: latency up while the CPU is not up
    when:
      all: [{signal: latency, direction: up}]
      none: [{signal: cpu_user, direction: up}]
    then: {cause: cpu_saturation}
    certainty: 0.8
"""


@pytest.mark.parametrize(
    ("latency", "cpu", "fires"),
    [
        ("up", "down", True),
        ("up", "none", True),
        ("up", "up", False),
        ("down", "down", False),
        ("none", "none", False),
    ],
)
def test_facts_moving_another_way_neither_fire_nor_block(latency: str, cpu: str, fires: bool) -> None:
    book = book_from(DIRECTIONS)
    result = run_rules(book, [signal("latency", direction=latency), signal("cpu_user", direction=cpu)])
    assert [f.rule.id for f in result.firings] == (["rising"] if fires else [])
    assert result.errors == ()


def test_a_missing_sample_counts_for_nothing() -> None:
    found = incident({"cpu_user": 4.0})
    latency = next(m for m in found.metrics if m.name == "latency")
    holes = [None if 100 <= t < 129 else v for t, v in enumerate(latency.values)]
    gappy = found.model_copy(
        update={
            "metrics": [m.model_copy(update={"values": holes}) if m is latency else m for m in found.metrics]
        }
    )
    signals = extract_signals(gappy, KG)
    assert signals.skipped == ["latency: 1 samples inside and 120 outside the window"]
    assert [f.name for f in signals.facts] == [
        f.name for f in extract_signals(found, KG).facts if f.name != "latency"
    ]
    cpu = next(f for f in signals.facts if f.name == "cpu_user")
    assert cpu == next(f for f in extract_signals(found, KG).facts if f.name == "cpu_user")
