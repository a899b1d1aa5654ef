"""The window marker sits under exactly the bars Textual's sparkline draws for the window, and the
times around it never cover it nor each other."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from textual.renderables.sparkline import Sparkline as SparklineRenderable

from models import TimeWindow
from tests.tui.world import T0
from tui.app.widgets.metric_chart import axis_cells, filled, window_columns, window_indices


def tall_columns(samples: int, width: int, first: int, last: int) -> list[int]:
    """Render a series that is 1 inside samples first..last and 0 elsewhere; return the full-bar columns."""
    data = [1.0 if first <= i <= last else 0.0 for i in range(samples)]
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(SparklineRenderable(data, width=width))
    line = capture.get().rstrip("\n")
    return [i for i, ch in enumerate(line) if ch == "█"]


@pytest.mark.parametrize(
    ("samples", "width", "first", "last"),
    [(60, 116, 40, 49), (300, 80, 100, 149), (200, 57, 0, 10), (10, 40, 9, 9)],
)
def test_marker_columns_match_sparkline_bars(samples: int, width: int, first: int, last: int) -> None:
    assert sorted(window_columns(samples, width, first, last)) == tall_columns(samples, width, first, last)


@settings(max_examples=60, deadline=None)
@given(
    samples=st.integers(min_value=2, max_value=400),
    width=st.integers(min_value=1, max_value=200),
    data=st.data(),
)
def test_marker_columns_match_sparkline_bars_everywhere(
    samples: int, width: int, data: st.DataObject
) -> None:
    first = data.draw(st.integers(min_value=0, max_value=samples - 1))
    last = data.draw(st.integers(min_value=first, max_value=samples - 1))
    if first == 0 and last == samples - 1:
        return  # a constant series draws no full bars at all; nothing to align
    assert sorted(window_columns(samples, width, first, last)) == tall_columns(samples, width, first, last)


def test_window_indices_inclusive_and_absent() -> None:
    ts = [0.0, 10.0, 20.0, 30.0]
    assert window_indices(ts, TimeWindow(start=10.0, end=20.0)) == (1, 2)
    assert window_indices(ts, TimeWindow(start=11.0, end=19.0)) is None
    assert window_indices(ts, None) is None


def test_filled_carries_last_value_and_backfills_the_start() -> None:
    assert filled([None, 3.0, None, None, 5.0, None]) == [3.0, 3.0, 3.0, 3.0, 5.0, 5.0]
    assert filled([None, None]) == [0.0, 0.0]


def test_axis_shows_the_ends_and_the_window_start_in_wall_clock_time() -> None:
    timestamps = [T0 + 10.0 * t for t in range(60)]
    cells = axis_cells(timestamps, 80, (40, 49))
    assert cells == [(0, "12:13:20"), (45, "12:20:00"), (72, "12:23:10")]
    # a capture-relative clock reads as seconds from its start
    relative = [float(t) for t in range(120)]
    assert axis_cells(relative, 60, (30, 59)) == [(0, "+0 s"), (9, "+30 s"), (31, "+59 s"), (54, "+119 s")]


@settings(max_examples=80, deadline=None)
@given(
    samples=st.integers(min_value=2, max_value=300),
    width=st.integers(min_value=1, max_value=200),
    start=st.floats(min_value=0, max_value=2e9, allow_nan=False),
    data=st.data(),
)
def test_axis_labels_fit_and_never_cover_the_marker_or_each_other(
    samples: int, width: int, start: float, data: st.DataObject
) -> None:
    first = data.draw(st.integers(min_value=0, max_value=samples - 1))
    last = data.draw(st.integers(min_value=first, max_value=samples - 1))
    timestamps = [start + 15.0 * i for i in range(samples)]
    marked = window_columns(samples, width, first, last)
    used: set[int] = set()
    for column, label in axis_cells(timestamps, width, (first, last)):
        span = set(range(column, column + len(label)))
        assert column >= 0 and column + len(label) <= width
        assert not span & marked
        assert not {c - 1 for c in span} & used and not {c + 1 for c in span} & used
        used |= span
