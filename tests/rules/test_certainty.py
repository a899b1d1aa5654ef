"""MYCIN arithmetic: bounded, commutative, order-independent."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import Fact
from rules.certainty import combine, combine_all, conclude, fact_strength, premise

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def test_worked_example() -> None:
    assert premise([0.9, 0.7], [0.2, 0.6]) == 0.6
    assert conclude(0.6, 0.5) == pytest.approx(0.3)
    assert combine(0.3, 0.5) == pytest.approx(0.65)
    assert fact_strength(Fact(kind="signal", name="x", certainty=0.5, attrs={"confidence": 0.8})) == 0.4
    assert (
        fact_strength(Fact(kind="observation", name="x", certainty=0.5, attrs={"confidence": "high"})) == 0.5
    )


@given(st.lists(unit, max_size=8), st.lists(unit, max_size=4), unit)
def test_everything_stays_in_the_unit_interval(alls: list[float], anys: list[float], rule: float) -> None:
    p = premise(alls, anys)
    assert 0.0 <= p <= 1.0 and 0.0 <= conclude(p, rule) <= 1.0


@given(unit, unit)
def test_combination_is_commutative_and_never_weakens(a: float, b: float) -> None:
    assert combine(a, b) == pytest.approx(combine(b, a))
    assert combine(a, b) >= max(a, b) - 1e-12


@given(st.lists(unit, max_size=8), st.randoms())
def test_combination_is_order_independent(values: list[float], rnd: random.Random) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert combine_all(shuffled) == pytest.approx(combine_all(values))
    assert 0.0 <= combine_all(values) <= 1.0
