"""A metric as a sparkline over a time axis with the anomaly window marked on it.

Textual's ``Sparkline`` buckets samples into columns but cannot colour a time
range, and the window is what the DBA compares against. The row under the
bars, using the same bucketing arithmetic, marks the window's columns (``▔``)
and carries the times: the first and last sample at the ends, the window's
start and end beside it, in local wall-clock time (or seconds from the
capture's start for a relative clock). So the marker sits under the right
bars at any terminal width, and a DBA can say when the spike happened.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Sparkline

if TYPE_CHECKING:
    from models import Fact, MetricSeries, TimeWindow

MARK = "▔"


def window_indices(timestamps: list[float], window: TimeWindow | None) -> tuple[int, int] | None:
    """First and last sample index inside the window, or ``None`` when no sample falls in it."""
    if window is None:
        return None
    inside = [i for i, t in enumerate(timestamps) if window.start <= t <= window.end]
    if not inside:
        return None
    return inside[0], inside[-1]


def column_samples(samples: int, width: int) -> list[range]:
    """The sample indices each column of a ``Sparkline`` of this width summarises.

    Mirrors ``textual.renderables.sparkline``: exact ``Fraction`` buckets, empty
    ones dropped, then a float walk over the buckets whose rounding decides
    which column repeats when there are fewer samples than columns. Matching it
    step for step is what keeps the marker under the right bars at any width.
    """
    if samples <= 0 or width <= 0:
        return []
    step = Fraction(samples, width)
    buckets = [
        range(int(step * b), int(step * (b + 1))) for b in range(width) if int(step * (b + 1)) > int(step * b)
    ]
    columns: list[range] = []
    index, walk = 0.0, len(buckets) / width
    for _ in range(width):
        columns.append(buckets[int(index)])
        index += walk
    return columns


def window_columns(samples: int, width: int, first: int, last: int) -> set[int]:
    """Columns whose samples overlap ``first..last``."""
    return {
        col
        for col, span in enumerate(column_samples(samples, width))
        if span.start <= last and span.stop > first
    }


def filled(values: list[float | None]) -> list[float]:
    """Missing samples carry the last value forward, so a gap does not draw as a crash to zero."""
    out: list[float] = []
    last = next((v for v in values if v is not None), 0.0)
    for v in values:
        if v is not None:
            last = v
        out.append(last)
    return out


def axis_cells(timestamps: list[float], width: int, span: tuple[int, int] | None) -> list[tuple[int, str]]:
    """(column, label) of each time shown under a chart: the ends, then the window's edges, where they fit.

    A label never covers the window's marker nor touches another label (one blank column between).
    """
    from sleuth.render.units import time_of_day

    columns = column_samples(len(timestamps), width)
    if not columns:
        return []
    marked = window_columns(len(timestamps), width, *span) if span else set()
    taken = [col in marked for col in range(width)]
    placed: list[tuple[int, str]] = []

    def place(start: int, label: str) -> None:
        end = start + len(label)
        if start < 0 or end > width or any(taken[max(start - 1, 0) : min(end + 1, width)]):
            return
        placed.append((start, label))
        for col in range(start, end):
            taken[col] = True

    first, last = time_of_day(timestamps[0]), time_of_day(timestamps[-1])
    place(0, first)
    place(width - len(last), last)
    if span is not None and marked:
        begin, end = time_of_day(timestamps[span[0]]), time_of_day(timestamps[span[1]])
        place(min(marked) - len(begin) - 1, begin)
        place(max(marked) + 2, end)
    return sorted(placed)


class WindowAxis(Widget):
    """One row: ``▔`` under the columns of the anomaly window, and the times around it."""

    DEFAULT_CSS = """
    WindowAxis { height: 1; color: $text-muted; }
    WindowAxis > .window-axis--mark { color: $error; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"window-axis--mark"}

    def __init__(
        self, timestamps: list[float], span: tuple[int, int] | None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.timestamps = timestamps
        self.span = span

    @property
    def samples(self) -> int:
        return len(self.timestamps)

    def line(self, width: int) -> Text:
        mark = self.get_component_rich_style("window-axis--mark", partial=True) if self.is_mounted else None
        cells = [" "] * width
        if self.span is not None:
            for col in window_columns(self.samples, width, *self.span):
                cells[col] = MARK
        for start, label in axis_cells(self.timestamps, width, self.span):
            cells[start : start + len(label)] = list(label)
        text = Text()
        for ch in cells:
            text.append(ch, mark if ch == MARK and mark is not None else "")
        return text

    def render(self) -> RenderResult:
        return self.line(self.size.width)


def signal_note(series_name: str, signal: Fact | None, unit: str = "") -> str:
    """What the signal says about this series: ``→ cpu_user level shift ↑ 21% → 95% (×4.52)``."""
    if signal is None:
        return ""
    from sleuth.render.units import quantity, ratio

    parts = [f"→ {signal.name}"] if signal.name != series_name else []
    shape = signal.attrs.get("shape")
    if isinstance(shape, str):
        parts.append(shape.replace("_", " "))
    arrow = {"up": "↑", "down": "↓"}.get(str(signal.attrs.get("direction", "")), "")
    if arrow:
        parts.append(arrow)
    baseline, anomaly = signal.attrs.get("baseline"), signal.attrs.get("anomaly")
    if isinstance(baseline, int | float) and isinstance(anomaly, int | float):
        b, a = float(baseline), float(anomaly)
        parts.append(f"{quantity(b, unit)} → {quantity(a, unit)} ({ratio(b, a)})")
    return " ".join(parts)


class MetricChart(Vertical):
    """Name, range (in its unit) and signal over the sparkline and its time axis."""

    DEFAULT_CSS = """
    MetricChart { height: auto; margin-bottom: 1; }
    MetricChart > Label { width: 1fr; }
    """

    def __init__(
        self,
        series: MetricSeries,
        window: TimeWindow | None,
        signal: Fact | None = None,
        unit: str = "",
    ) -> None:
        """``unit``: the knowledge graph's unit for the signal's metric, else the series' own."""
        super().__init__(classes="metric-chart")
        self.series = series
        self.window = window
        self.signal = signal
        self.unit = unit or series.unit

    def compose(self) -> ComposeResult:
        from sleuth.render.units import quantity

        data = filled(self.series.values)
        low, high = (min(data), max(data)) if data else (0.0, 0.0)
        note = signal_note(self.series.name, self.signal, self.unit)
        yield Label(
            Text.assemble(
                (self.series.name, "bold"),
                (f"  {quantity(low, self.series.unit)} … {quantity(high, self.series.unit)}", "dim"),
                (f"  {note}" if note else "", "yellow"),
            )
        )
        yield Sparkline(data, summary_function=max)
        yield WindowAxis(self.series.timestamps, window_indices(self.series.timestamps, self.window))
