"""Evaluation metrics: exact numbers on hand-checked batches, plus invariants under hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import CauseFinding, Diagnosis, DiagnosisPath
from rules.evaluation import (
    NO_PREDICTION,
    EvalCase,
    all_in_top_k,
    both_in_top2,
    evaluate_cases,
    expected_calibration_error,
    extra_causes,
    format_table,
    hit_at,
)


def _case(
    labels: tuple[str, ...],
    ranked: tuple[str, ...],
    ms: float = 1.0,
    certainties: tuple[float, ...] = (),
    healthy: bool = False,
) -> EvalCase:
    path: DiagnosisPath = "healthy" if healthy and not ranked else "rules" if ranked else "inconclusive"
    return EvalCase(labels, ranked, path, ms, certainties or tuple(0.9 for _ in ranked), healthy)


BATCH = [
    _case(("a",), ("a", "b"), 1.0),  # top-1 hit
    _case(("a",), ("b", "c", "a"), 2.0),  # top-3 hit only
    _case(("b",), ("b",), 3.0),  # top-1 hit
    _case(("c",), (), 4.0),  # nothing concluded
    _case(("c", "a"), ("a", "x"), 10.0),  # compound: any label counts
]


def test_exact_figures_on_a_small_batch() -> None:
    report = evaluate_cases(BATCH)
    assert report.cases == 5
    assert report.top1 == 0.6
    assert report.top3 == 0.8
    assert report.unexplained == 0.2
    assert report.latency_ms.p50 == 3.0
    assert report.latency_ms.p95 == 8.8  # numpy linear interpolation between 4 and 10
    a = report.per_cause["a"]
    assert (a.precision, a.recall, a.support, a.predicted) == (1.0, 0.6667, 3, 2)
    b = report.per_cause["b"]
    assert (b.precision, b.recall, b.support, b.predicted) == (0.5, 1.0, 1, 2)
    c = report.per_cause["c"]
    assert (c.precision, c.recall, c.support, c.predicted) == (0.0, 0.0, 2, 0)
    assert report.confusion == {
        "a": {"a": 2, "b": 1},
        "b": {"b": 1},
        "c": {"a": 1, NO_PREDICTION: 1},
    }
    # extras: b; b, c; none; none; x -> 4 over 5 incidents
    assert report.extra_per_incident == 0.8
    assert report.healthy is None


def test_multi_cause_figures() -> None:
    batch = [
        _case(("a", "b"), ("b", "a", "x")),  # both in top 2, all in top 2, one extra
        _case(("a", "b"), ("a", "x", "b")),  # b only third: neither
        _case(("a", "b", "c"), ("c", "a", "x", "b")),  # two true in top 2, not all in top 3
        _case(("a", "b", "c"), ("b", "c", "a")),  # all three in top 3
        _case(("a",), ("a",)),  # single cause: not in the multi-cause block
    ]
    report = evaluate_cases(batch)
    multi = report.multi_cause
    assert multi is not None
    assert (multi.cases, multi.all_in_top_k, multi.both_in_top2, multi.extra_per_incident) == (
        4,
        0.5,
        0.75,
        0.75,
    )
    assert [all_in_top_k(c) for c in batch] == [True, False, False, True, True]
    assert [both_in_top2(c) for c in batch] == [True, False, True, True, False]
    assert [extra_causes(c) for c in batch] == [1, 1, 1, 0, 0]


def test_healthy_captures_count_every_answer_but_healthy_as_a_false_alarm() -> None:
    batch = [
        _case((), (), healthy=True),  # right
        _case((), (), healthy=True),  # right
        EvalCase((), (), "inconclusive", 1.0, (), True),  # an alarm without a cause
        _case((), ("a",), certainties=(0.7,), healthy=True),  # an alarm with a cause
        _case(("a",), ("a",)),  # an anomaly: not in the healthy block, not in top-1 over healthy ones
    ]
    report = evaluate_cases(batch)
    assert report.cases == 1 and report.top1 == 1.0
    assert report.healthy is not None
    assert (report.healthy.cases, report.healthy.false_alarms, report.healthy.with_cause) == (4, 2, 1)
    assert report.healthy.false_alarm_rate == 0.5
    assert report.healthy_answers == 0


def test_expected_calibration_error_on_two_bins() -> None:
    """Bin 0.9: certainties 0.9, 0.9 and one right -> |0.5 - 0.9| x 2; bin 0.3: 0.3 wrong -> 0.3."""
    batch = [_case(("a",), ("a", "b"), certainties=(0.9, 0.9)), _case(("a",), ("c",), certainties=(0.3,))]
    assert expected_calibration_error(batch) == pytest.approx(round((0.4 * 2 + 0.3) / 3, 4))
    assert expected_calibration_error([]) == 0.0


def test_json_shape_is_the_one_sleuth_eval_prints() -> None:
    dumped = evaluate_cases(BATCH).model_dump()
    assert list(dumped) == [
        "cases",
        "top1",
        "top3",
        "unexplained",
        "per_cause",
        "confusion",
        "latency_ms",
        "extra_per_incident",
        "healthy_answers",
        "multi_cause",
        "healthy",
        "ece",
    ]
    assert set(dumped["latency_ms"]) == {"p50", "p95"}
    assert set(dumped["multi_cause"]) == {"cases", "all_in_top_k", "both_in_top2", "extra_per_incident"}


def test_empty_batch_is_all_zero() -> None:
    report = evaluate_cases([])
    assert (report.cases, report.top1, report.top3, report.unexplained) == (0, 0.0, 0.0, 0.0)
    assert report.per_cause == {} and report.confusion == {}
    assert (report.multi_cause, report.healthy, report.ece) == (None, None, 0.0)


def test_from_diagnosis_takes_ranked_causes_certainties_and_labels() -> None:
    diagnosis = Diagnosis(
        incident="x",
        path="rules",
        causes=[
            CauseFinding(cause="db_backup", certainty=0.8),
            CauseFinding(cause="lock_contention", certainty=0.3),
        ],
        elapsed_ms=2.5,
        labels=["lock_contention"],
    )
    case = EvalCase.from_diagnosis(diagnosis)
    assert case == EvalCase(("lock_contention",), ("db_backup", "lock_contention"), "rules", 2.5, (0.8, 0.3))
    assert not hit_at(case, 1) and hit_at(case, 3)
    assert EvalCase.from_diagnosis(diagnosis, labels=["db_backup"]).labels == ("db_backup",)
    healthy = Diagnosis(incident="h", path="healthy", label_healthy=True)
    assert EvalCase.from_diagnosis(healthy).label_healthy


def test_table_lists_causes_confusions_and_the_sets() -> None:
    text = format_table(evaluate_cases([*BATCH, _case((), (), healthy=True)]))
    assert "top-1 0.600" in text
    assert "c -> none: 1" in text
    assert "multi-cause 1  all in top-k 0.000  both in top-2 0.000" in text
    assert "healthy 1  false alarms 0 (0.000), 0 with a cause" in text


CAUSES = st.sampled_from(["a", "b", "c", "d"])
CASES = st.builds(
    _case,
    st.lists(CAUSES, min_size=1, max_size=3, unique=True).map(tuple),
    st.lists(CAUSES, max_size=4, unique=True).map(tuple),
    st.floats(min_value=0, max_value=1e4),
)


@given(st.lists(CASES, max_size=30))
def test_invariants(batch: list[EvalCase]) -> None:
    report = evaluate_cases(batch)
    assert 0.0 <= report.top1 <= report.top3 <= 1.0
    assert 0.0 <= report.unexplained <= 1.0
    assert report.latency_ms.p50 <= report.latency_ms.p95 + 1e-9
    # every true label lands somewhere in the confusion, exactly once per case
    assert sum(sum(row.values()) for row in report.confusion.values()) == sum(len(c.labels) for c in batch)
    for score in report.per_cause.values():
        assert 0.0 <= score.precision <= 1.0 and 0.0 <= score.recall <= 1.0
    assert 0.0 <= report.ece <= 1.0
    if report.multi_cause is not None:
        m = report.multi_cause
        assert 0.0 <= m.all_in_top_k <= 1.0 and 0.0 <= m.both_in_top2 <= 1.0 and m.extra_per_incident >= 0.0
    # a case with every true cause in its top k has all of them ranked
    for case in batch:
        if all_in_top_k(case):
            assert set(case.labels) <= set(case.ranked)
