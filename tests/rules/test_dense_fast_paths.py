"""The shortcuts taken when no sample is missing, and the sums and sentences computed once for many,
give exactly what the general paths give."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models import Incident, Instance, MetricSeries, TimeWindow
from rules import health, segmentation, stats
from rules.signals import _aggregate, _sig4, extract_signals
from tests.rules.fakes import KG

SAMPLES = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, np.nan, np.inf]),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
)
MATRICES = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(0, 12)), elements=SAMPLES)
DENSE = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(1, 40)),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
)
BLOCKS = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(2, 5), st.integers(1, 9)),
    elements=st.one_of(st.just(np.nan), st.floats(-1e9, 1e9, allow_nan=False)),
)


@given(st.one_of(MATRICES, DENSE))
def test_row_count_counts_the_present_samples(values: np.ndarray) -> None:
    counts = stats.row_count(values)
    assert counts.dtype == np.int64
    assert counts.tolist() == [sum(1 for v in row if v == v) for row in values.tolist()]


@given(DENSE, st.integers(1, 39), st.integers(0, 39))
def test_the_left_part_of_a_split_sums_to_the_first_columns_of_its_segment(
    z: np.ndarray, cut: int, lo: int
) -> None:
    """What ``change_points`` relies on to reuse a segment's running sums for its left part."""
    lo = min(lo, z.shape[1] - 1)
    cut = lo + min(cut, z.shape[1] - lo)
    whole = np.cumsum(z[:, lo:], axis=1)
    assert np.cumsum(z[:, lo:cut], axis=1).tobytes() == whole[:, : cut - lo].tobytes()


@given(DENSE, st.integers(1, 8))
def test_the_first_change_point_is_the_best_single_split(z: np.ndarray, min_len: int) -> None:
    tau, gain = segmentation.split_point(z, min_len)
    found = segmentation.change_points(z, 1, min_len)
    assert found == ([tau] if np.isfinite(gain) and gain > 0 else [])


@pytest.mark.parametrize("count", [1, 2, 3])
def test_change_points_of_three_levels(count: int) -> None:
    t = np.arange(60)
    level = np.where(t < 20, 0.0, np.where(t < 45, 5.0, 2.0))
    wobble = 0.1 * np.sin(t * 1.7)
    z = np.vstack([level + wobble, -level + wobble])
    # the larger step first (20: 0 -> 5), then the other (45: 5 -> 2); a third part would need a
    # level that is not there, but binary segmentation splits while a part has any gain
    want = {1: [20], 2: [20, 45]}.get(count)
    found = segmentation.change_points(z, count, 5)
    assert found[:2] == [20, 45] if want is None else found == want
    assert len(found) == count


@given(BLOCKS, st.sampled_from(["sum", "max", "mean"]))
def test_combined_columns_are_numpys_nan_aggregates(block: np.ndarray, how: str) -> None:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN warnings
        if how == "sum":
            want = np.nansum(block, axis=1)
        elif how == "max":
            want = np.nanmax(block, axis=1)
        else:
            want = np.nanmean(block, axis=1)
    want = np.where(np.isnan(block).all(axis=1), np.nan, want)
    assert _aggregate(block, how).tobytes() == want.tobytes()


def test_a_percent_sign_in_a_name_or_unit_is_written_as_it_is() -> None:
    ts = [float(t) for t in range(60)]
    steady = [40.0 + (t % 3) for t in range(60)]
    stepped = [v * (3.0 if 40 <= t < 50 else 1.0) for t, v in enumerate(steady)]
    found = extract_signals(
        Incident(
            id="percent-1",
            instance=Instance(engine="mysql"),
            metrics=[
                MetricSeries(name="fill %", unit="% of 100%", timestamps=ts, values=steady),
                MetricSeries(name="used", unit="%", timestamps=ts, values=stepped),
            ],
            window=TimeWindow(start=40, end=49),
        ),
        KG,
    )
    flat, moved = found.get("fill"), found.get("used")
    assert flat is not None and moved is not None
    assert (
        flat.text
        == "fill not clearly changed: 41 % of 100% normally, 41 % of 100% in the window (robust z +0)"
    )
    assert moved.text == (
        "used up (saturation): 41 % normally -> 123 % in the window (x3, robust z +55.31, peak 126)"
    )


def _with_empty_row(values: np.ndarray) -> np.ndarray:
    """``values`` and a row without samples below it: rows no longer all as long, the general path."""
    return np.vstack([values, np.full((1, values.shape[1]), np.nan)])


@given(st.one_of(DENSE, MATRICES.filter(lambda v: v.shape[1] > 0)))
def test_rows_of_one_length_give_what_rows_of_any_length_give(values: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        ordered, n = np.sort(values, axis=1), stats.row_count(values)
        mixed = _with_empty_row(values)
        ordered_mixed, n_mixed = np.sort(mixed, axis=1), stats.row_count(mixed)
        assert n_mixed[:-1].tolist() == n.tolist() and n_mixed[-1] == 0
        assert (
            stats.sorted_median(ordered, n).tobytes()
            == stats.sorted_median(ordered_mixed, n_mixed)[:-1].tobytes()
        )
        top, bottom = stats.sorted_extremes(ordered, n)
        top_mixed, bottom_mixed = stats.sorted_extremes(ordered_mixed, n_mixed)
        assert top.tobytes() == top_mixed[:-1].tobytes()
        assert bottom.tobytes() == bottom_mixed[:-1].tobytes()
        for q in (0.0, 0.5, 0.95, 1.0):
            assert stats.row_quantile(values, q).tobytes() == stats.row_quantile(mixed, q)[:-1].tobytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row of no finite sample
            # a bound inside each row's range, so that some samples lie beyond it
            bound = np.nan_to_num(np.nanmedian(np.where(np.isinf(values), np.nan, values), axis=1))
        for above in (True, False):
            share = stats.share_beyond(ordered, bound, above=above, n=n)
            share_mixed = stats.share_beyond(ordered_mixed, np.append(bound, 0.0), above=above, n=n_mixed)
            assert share.tobytes() == share_mixed[:-1].tobytes()
            assert share_mixed[-1] == 0.0


WIDE = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(0, 300)),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
)


@given(WIDE)
def test_rows_without_gaps_correlate_with_time_as_rows_beside_a_gap_do(values: np.ndarray) -> None:
    """Past 8 and 128 samples numpy adds a row in blocks; one row of times must add as every row did."""
    mixed = _with_empty_row(values)
    with np.errstate(all="ignore"):
        alone = stats.row_time_correlation(values, stats.row_count(values))
        beside = stats.row_time_correlation(mixed, stats.row_count(mixed))
    assert alone.tobytes() == beside[:-1].tobytes()
    assert beside[-1] == 0.0


@settings(max_examples=300)
@given(arrays(np.float64, st.integers(0, 40), elements=SAMPLES))
def test_four_significant_digits_are_the_decimal_texts(values: np.ndarray) -> None:
    want = [float(f"{v:.4g}") if np.isfinite(v) and v != 0.0 else 0.0 for v in values.tolist()]
    got = _sig4(values)
    assert [np.float64(g).tobytes() for g in got] == [np.float64(w).tobytes() for w in want]


@given(
    arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(13, 40)), elements=st.floats(-50, 50)),
    st.integers(1, 5),
)
def test_a_draws_strongest_gain_is_the_largest_allowed_of_all_gains(z: np.ndarray, min_len: int) -> None:
    # two kernels as a bootstrap stacks them; 13 columns leave an allowed segment at any min_len here
    kernels = np.array([z.T @ z, (z[:, ::-1].T @ z[:, ::-1]) / 3.0])
    mask = health.allowed(kernels.shape[1], min_len)
    assert mask.any()
    every = np.where(mask[None], health.gains(kernels, mask), -np.inf).reshape(2, -1).max(axis=1)
    assert health.strongest_gains(kernels, mask).tobytes() == every.tobytes()
