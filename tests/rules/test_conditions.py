"""The pure-Python condition evaluator that WHY-NOT and tuning scripts rely on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models import Condition, Fact, NumTest
from rules.conditions import best_match, evaluate, matches


def _signal(name: str = "cpu_user", **attrs: float | str | bool) -> Fact:
    return Fact(kind="signal", name=name, attrs=dict(attrs))


def test_every_test_reports_the_value_seen() -> None:
    cond = Condition(signal="cpu_user", score=NumTest(gte=3), shape=["spike", "level_shift"], direction="up")
    result = evaluate(cond, _signal(score=1.5, shape="spike", direction="up"))
    assert not result.matched
    assert [(t.field, t.op, t.seen, t.passed) for t in result.tests] == [
        ("score", "gte", 1.5, False),
        ("shape", "in", "spike", True),
        ("direction", "eq", "up", True),
    ]
    assert result.failed[0].describe() == "score=1.5 (needs >= 3)"


def test_a_string_never_passes_a_numeric_test() -> None:
    cond = Condition(observation="top_sql", where={"rows": NumTest(gt=0), "kind": "scan", "hot": True})
    fact = Fact(kind="observation", name="top_sql", attrs={"rows": "many", "kind": "scan", "hot": 1.0})
    result = evaluate(cond, fact)
    assert [(t.field, t.passed) for t in result.tests] == [("rows", False), ("kind", True), ("hot", False)]


def test_certainty_tests_the_fact_itself() -> None:
    cond = Condition(fact="io_bound", certainty=NumTest(gt=0.5))
    assert matches(cond, Fact(kind="derived", name="io_bound", certainty=0.6))
    assert not matches(cond, Fact(kind="derived", name="io_bound", certainty=0.5))


def test_best_match_prefers_a_match_then_the_nearest_miss() -> None:
    cond = Condition(signal="latency", score=NumTest(gt=3), ratio=NumTest(gt=2))
    far = _signal("latency", score=0.1, ratio=1.0)
    near = _signal("latency", score=5.0, ratio=1.5)
    other = _signal("cpu_user", score=9.0, ratio=9.0)
    result = best_match(cond, [other, far, near])
    assert result.fact is near and [t.field for t in result.failed] == ["ratio"]
    absent = best_match(Condition(signal="lock_waits", score=NumTest(gt=1)), [other])
    assert absent.fact is None and absent.failed[0].describe() == "present=false (needs is true)"


@given(
    score=st.floats(allow_nan=False, allow_infinity=False, width=32),
    bound=st.floats(allow_nan=False, allow_infinity=False, width=32),
)
def test_numeric_bounds_agree_with_python_comparisons(score: float, bound: float) -> None:
    fact = _signal(score=score)
    assert matches(Condition(signal="cpu_user", score=NumTest(gt=bound)), fact) == (score > bound)
    assert matches(Condition(signal="cpu_user", score=NumTest(lte=bound)), fact) == (score <= bound)
    both = Condition(signal="cpu_user", score=NumTest(gte=bound, ne=bound))
    assert matches(both, fact) == (score > bound)


def test_a_numeric_test_yields_its_bounds_in_a_fixed_order() -> None:
    test = NumTest(ne=0, lt=10, gte=2)
    assert test.bounds() == [("gte", 2.0), ("lt", 10.0), ("ne", 0.0)]
    assert [test.holds(v) for v in (1.0, 2.0, 0.0, 9.99, 10.0)] == [False, True, False, True, False]


@given(
    value=st.floats(allow_nan=False, allow_infinity=False, width=32),
    bounds=st.dictionaries(
        st.sampled_from(["gt", "gte", "lt", "lte", "eq", "ne"]),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        min_size=1,
    ),
)
def test_a_numeric_test_holds_exactly_when_each_bound_does(value: float, bounds: dict[str, float]) -> None:
    """The graph's fact tests call ``holds``; WHY-NOT reports each bound: they must agree."""
    test = NumTest.model_validate(bounds)
    outcomes = evaluate(Condition(signal="cpu_user", score=test), _signal(score=value)).tests
    assert test.holds(value) == all(t.passed for t in outcomes)
    assert [(t.op, t.expected) for t in outcomes] == test.bounds()


@pytest.mark.parametrize("bound", ["3", "1e20", True, False])
def test_a_bound_is_a_number_never_text_or_a_flag(bound: object) -> None:
    with pytest.raises(ValidationError):
        NumTest.model_validate({"gte": bound})
