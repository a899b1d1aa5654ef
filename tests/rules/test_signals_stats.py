"""The matrix statistics behind signals agree with numpy's reference functions, NaN included."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rules import stats

MATRICES = arrays(
    np.float64,
    st.tuples(st.integers(1, 5), st.integers(0, 30)),
    elements=st.one_of(st.just(np.nan), st.floats(-1e9, 1e9, allow_nan=False)),
)


def _reference(fn: Callable[..., np.ndarray], values: np.ndarray, **kwargs: object) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: numpy warns, we return NaN
        return np.asarray(fn(values, axis=1, **kwargs))


@given(MATRICES)
def test_row_median_matches_nanmedian(values: np.ndarray) -> None:
    if values.shape[1] == 0:
        assert np.isnan(stats.row_median(values)).all()
        return
    np.testing.assert_allclose(stats.row_median(values), _reference(np.nanmedian, values), rtol=1e-12)


@given(MATRICES, st.floats(0.0, 1.0))
def test_row_quantile_is_a_nearest_rank_sample(values: np.ndarray, q: float) -> None:
    got = stats.row_quantile(values, q)
    if values.shape[1] == 0:
        assert np.isnan(got).all()
        return
    expected = _reference(np.nanpercentile, values, q=q * 100, method="inverted_cdf")
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@given(MATRICES)
def test_row_extremes_and_counts(values: np.ndarray) -> None:
    if values.shape[1] == 0:
        return
    np.testing.assert_array_equal(stats.row_extreme(values, largest=True), _reference(np.nanmax, values))
    np.testing.assert_array_equal(stats.row_extreme(values, largest=False), _reference(np.nanmin, values))
    np.testing.assert_array_equal(stats.row_count(values), np.sum(~np.isnan(values), axis=1))


def test_time_correlation_of_ramps_and_noise() -> None:
    values = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, np.nan, 1.0], [5.0, 5.0, 5.0, 5.0]])
    np.testing.assert_allclose(stats.row_time_correlation(values), [1.0, -1.0, 0.0])


def test_share_beyond_ignores_missing_samples() -> None:
    values = np.array([[1.0, 5.0, np.nan, 9.0], [np.nan, np.nan, np.nan, np.nan]])
    np.testing.assert_allclose(stats.share_beyond(values, np.array([4.0, 0.0]), above=True), [2 / 3, 0.0])
