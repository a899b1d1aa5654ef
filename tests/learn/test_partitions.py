from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rules.learn.partitions import extract_predicate

NORMAL = np.array([0.0, 1.0, -1.0, 0.5, -0.5, 0.2, -0.2, 0.8, -0.8, 0.1])
# A window's rows are many, close together: DBSherlock's filter treats a lone partition as noise.
HIGH = [9.0 + 0.1 * i for i in range(21)]


def split(normal: list[float] | np.ndarray, abnormal: list[float]) -> tuple[np.ndarray, np.ndarray]:
    values = np.concatenate([np.asarray(normal, dtype=float), np.asarray(abnormal, dtype=float)])
    mask = np.zeros(values.size, dtype=bool)
    mask[len(normal) :] = True
    return values, mask


def test_a_window_above_normal_gives_a_lower_bound_between_the_two() -> None:
    values, abnormal = split(NORMAL, HIGH)
    found = extract_predicate("latency", values, abnormal, partitions=100)
    assert found is not None
    assert (found.metric, found.upper, found.separation) == ("latency", None, 1.0)
    assert found.lower is not None and 1.0 < found.lower <= 9.0


def test_a_window_below_normal_gives_an_upper_bound() -> None:
    values, abnormal = split(NORMAL, [-h for h in HIGH])
    found = extract_predicate("commits", values, abnormal)
    assert found is not None
    assert (found.lower, found.separation) == (None, 1.0)
    assert found.upper is not None and -9.0 <= found.upper < -1.0


def test_a_window_inside_the_normal_range_gives_none() -> None:
    values, abnormal = split(NORMAL, [0.05, -0.05, 0.3])
    assert extract_predicate("cpu", values, abnormal) is None


def test_two_abnormal_blocks_on_either_side_give_none() -> None:
    # DBSherlock keeps a metric only when its abnormal partitions form one block
    values, abnormal = split(NORMAL, [-20.0, -21.0, 20.0, 21.0])
    assert extract_predicate("cpu", values, abnormal) is None


def test_missing_samples_are_ignored() -> None:
    values, abnormal = split([*NORMAL, np.nan], [*HIGH, np.nan])
    found = extract_predicate("latency", values, abnormal)
    assert found is not None and found.separation == 1.0


def test_a_constant_metric_or_a_window_without_rows_gives_none() -> None:
    values, abnormal = split([3.0] * 5, [3.0, 3.0])
    assert extract_predicate("flat", values, abnormal) is None
    values, abnormal = split(NORMAL, [])
    assert extract_predicate("none", values, abnormal) is None


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(
    normal=st.lists(finite, min_size=3, max_size=40),
    shifts=st.lists(st.floats(min_value=1e-3, max_value=1e6), min_size=2, max_size=20),
)
def test_a_window_entirely_above_normal_never_yields_a_downward_or_band_predicate(
    normal: list[float], shifts: list[float]
) -> None:
    top = max(normal)
    values, abnormal = split(normal, [top + s for s in shifts])
    found = extract_predicate("m", values, abnormal)
    if found is not None:
        assert found.upper is None and found.lower is not None
        assert 0.0 < found.separation <= 1.0


@given(
    values=st.lists(finite, min_size=5, max_size=60),
    flags=st.lists(st.booleans(), min_size=5, max_size=60),
)
def test_any_predicate_has_a_bound_and_a_separation_within_minus_one_and_one(
    values: list[float], flags: list[bool]
) -> None:
    n = min(len(values), len(flags))
    found = extract_predicate("m", np.asarray(values[:n]), np.asarray(flags[:n], dtype=bool))
    if found is not None:
        assert found.lower is not None or found.upper is not None
        if found.lower is not None and found.upper is not None:
            assert found.lower < found.upper
        assert -1.0 <= found.separation <= 1.0
