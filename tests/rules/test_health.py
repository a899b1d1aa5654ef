"""The healthy test: its false-alarm rate on steady captures, its power on real shifts, its determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import health
from rules.window import MIN_SEGMENT, search


def _steady(t: int, m: int, seed: int, memory: float) -> np.ndarray:
    """Metrics that hold one level with autocorrelated noise (AR(1) with coefficient ``memory``)."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((m, t))
    for i in range(1, t):
        noise[:, i] += memory * noise[:, i - 1]
    level = rng.uniform(20.0, 400.0, m)[:, None]
    return level * (1.0 + 0.03 * noise)


@pytest.mark.parametrize("memory", [0.0, 0.5])
def test_steady_captures_are_rarely_called_abnormal(memory: float) -> None:
    """Forty steady captures of different lengths and noise memory: the test is calibrated on each
    capture's own residuals, so at most a few land beyond its 1 % level. Measured: 0 of 40 with white
    noise and 0 of 40 with AR(1) 0.5 noise."""
    alarms = sum(
        search(_steady(40 + 3 * seed, 12, seed, memory)).test.significant  # type: ignore[union-attr]
        for seed in range(40)
    )
    assert alarms <= 2


@pytest.mark.parametrize("size", [1.5, 3.0])
def test_a_sustained_shift_in_a_few_metrics_is_abnormal(size: float) -> None:
    values = _steady(120, 30, 1, 0.3)
    values[:4, 50:80] *= size
    found = search(values)
    assert found.test is not None and found.test.significant
    assert found.windows == [(50, 79)]
    assert found.test.p_value == pytest.approx(1 / (1 + health.RESAMPLES))


def test_the_answer_does_not_depend_on_when_it_is_asked() -> None:
    values = _steady(90, 10, 4, 0.2)
    values[:2, 40:60] *= 1.2
    first, second = search(values), search(values)
    assert (first.best, first.windows, first.test) == (second.best, second.windows, second.test)
    assert first.shift is not None and second.shift is not None
    assert np.array_equal(first.shift, second.shift)


def test_too_short_a_capture_is_not_tested() -> None:
    """Nine samples leave no window with a lead-in and a reference: the whole capture is the window."""
    found = search(_steady(2 * MIN_SEGMENT - 1, 5, 0, 0.0))
    assert found.test is None and found.windows == [found.best] == [(0, 2 * MIN_SEGMENT - 2)]


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 40), min_len=st.integers(1, 8))
def test_allowed_segments_have_a_lead_in_a_reference_and_room(n: int, min_len: int) -> None:
    mask = health.allowed(n, min_len)
    for a, b in zip(*np.nonzero(mask), strict=True):
        length, rest, right = b - a + 1, n - (b - a + 1), n - 1 - b
        assert length >= min_len and a > health.LEAD_SLACK
        assert rest >= min_len and rest >= health.REST_SHARE * n
        assert right == 0 or right >= min_len
