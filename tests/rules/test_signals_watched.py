"""Windows beyond the first measure only the metrics rules read, and measure them as if alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_graph import KnowledgeGraph, load_default_graph
from models import Fact, Incident
from rules.signals import SignalSet, extract_signals
from tests.rules.fakes import KG as CORE
from tests.rules.signal_support import dbsherlock_case, incident


def _two_causes() -> dict[str, list[float | None]]:
    """Over 60..119 three metrics triple; over 100..119 only, three others fall to a tenth."""
    series: dict[str, list[float | None]] = {}
    for k in range(3):
        base = [(20.0 + k) * (1 + 0.02 * ((t * 7 + k) % 5 - 2)) for t in range(150)]
        series[f"a{k}"] = [v * 3 if 60 <= t < 120 else v for t, v in enumerate(base)]
    for k in range(3):
        base = [(50.0 + k) * (1 + 0.02 * ((t * 7 + k + 3) % 5 - 2)) for t in range(150)]
        series[f"b{k}"] = [v * 0.1 if 100 <= t < 120 else v for t, v in enumerate(base)]
    return series


def _by_span(signals: SignalSet) -> dict[tuple[float, float], list[Fact]]:
    return {(w.window.start, w.window.end): w.facts for w in signals.windows}


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load_default_graph()


def _restricted_alike(inc: Incident, kg: KnowledgeGraph, watched: frozenset[str], infer: bool) -> None:
    """Every window of the watched run is one of the full run's, with the watched facts of it."""
    full = extract_signals(inc, kg, infer_window=infer)
    some = extract_signals(inc, kg, infer_window=infer, watched=watched)
    assert some.facts == full.facts and some.window == full.window
    everything, measured = _by_span(full), _by_span(some)
    assert set(measured) <= set(everything)
    first = (some.window.start, some.window.end)
    for span, facts in measured.items():
        if span != first:
            assert facts == [f for f in everything[span] if f.name in watched]


def test_a_part_lists_the_watched_metrics_with_the_numbers_of_a_full_measure() -> None:
    watched = frozenset({"a0", "b0", "b1"})
    inc = incident(_two_causes(), (60, 119))
    some = extract_signals(inc, CORE, watched=watched)
    assert [(w.window.start, w.window.end) for w in some.windows] == [(60, 119), (100, 119)]
    assert [f.name for f in some.windows[1].facts] == ["a0", "b0", "b1"]
    _restricted_alike(inc, CORE, watched, infer=False)


def test_no_watched_metric_leaves_only_the_main_window() -> None:
    some = extract_signals(incident(_two_causes(), (60, 119)), CORE, watched=frozenset())
    assert [(w.window.start, w.window.end) for w in some.windows] == [(60, 119)]
    assert [f.name for f in some.facts] == ["a0", "a1", "a2", "b0", "b1", "b2"]


_CASES = ("cpu_saturation-08", "table_restore-01", "lock_contention-03", "network_congestion-05")


@settings(max_examples=12, deadline=None)
@given(
    case=st.sampled_from(_CASES),
    keep=st.lists(st.booleans(), min_size=120, max_size=120),
    infer=st.booleans(),
)
def test_real_recordings_measure_watched_metrics_as_if_alone(
    kg: KnowledgeGraph, case: str, keep: list[bool], infer: bool
) -> None:
    inc = dbsherlock_case(case)
    names = [f.name for f in extract_signals(inc, kg).facts]
    watched = frozenset(n for n, k in zip(names, keep, strict=False) if k)
    _restricted_alike(inc, kg, watched, infer)
