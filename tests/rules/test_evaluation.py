"""Evaluation metrics: exact numbers on a hand-checked batch, plus invariants under hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models import CauseFinding, Diagnosis
from rules.evaluation import NO_PREDICTION, EvalCase, evaluate_cases, format_table, hit_at


def _case(labels: tuple[str, ...], ranked: tuple[str, ...], ms: float = 1.0) -> EvalCase:
    return EvalCase(labels=labels, ranked=ranked, path="rules" if ranked else "inconclusive", elapsed_ms=ms)


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


def test_json_shape_is_the_one_sleuth_eval_prints() -> None:
    dumped = evaluate_cases(BATCH).model_dump()
    assert list(dumped) == ["cases", "top1", "top3", "unexplained", "per_cause", "confusion", "latency_ms"]
    assert set(dumped["latency_ms"]) == {"p50", "p95"}


def test_empty_batch_is_all_zero() -> None:
    report = evaluate_cases([])
    assert (report.cases, report.top1, report.top3, report.unexplained) == (0, 0.0, 0.0, 0.0)
    assert report.per_cause == {} and report.confusion == {}


def test_from_diagnosis_takes_ranked_causes_and_labels() -> None:
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
    assert case == EvalCase(("lock_contention",), ("db_backup", "lock_contention"), "rules", 2.5)
    assert not hit_at(case, 1) and hit_at(case, 3)
    assert EvalCase.from_diagnosis(diagnosis, labels=["db_backup"]).labels == ("db_backup",)


def test_table_lists_causes_and_confusions() -> None:
    text = format_table(evaluate_cases(BATCH))
    assert "top-1 0.600" in text
    assert "c -> none: 1" in text


CAUSES = st.sampled_from(["a", "b", "c", "d"])
CASES = st.builds(
    _case,
    st.lists(CAUSES, min_size=1, max_size=2, unique=True).map(tuple),
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
