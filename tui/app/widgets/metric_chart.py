"""A metric as a sparkline with the anomaly window marked underneath.

Textual's ``Sparkline`` buckets samples into columns but cannot colour a time
range, and the window is what the DBA compares against. A marker row of the
same width, using the same bucketing arithmetic, lines the window up with the
bars above it at any terminal width.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Sparkline

if TYPE_CHECKING:
    from models import Fact, MetricSeries, TimeWindow


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


class WindowMarker(Widget):
    """One row: ``▔`` under the columns of the anomaly window."""

    DEFAULT_CSS = """
    WindowMarker { height: 1; color: $error; }
    """

    def __init__(self, samples: int, span: tuple[int, int] | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.samples = samples
        self.span = span

    def render(self) -> RenderResult:
        width = self.size.width
        if self.span is None:
            return Text(" " * width)
        cols = window_columns(self.samples, width, *self.span)
        return Text("".join("▔" if c in cols else " " for c in range(width)))


def signal_note(series_name: str, signal: Fact | None) -> str:
    """What the signal says about this series, e.g. ``→ cpu_user level_shift ↑ ×4.52``."""
    if signal is None:
        return ""
    parts = [f"→ {signal.name}"] if signal.name != series_name else []
    shape = signal.attrs.get("shape")
    if isinstance(shape, str):
        parts.append(shape)
    arrow = {"up": "↑", "down": "↓"}.get(str(signal.attrs.get("direction", "")), "")
    if arrow:
        parts.append(arrow)
    ratio = signal.attrs.get("ratio")
    if isinstance(ratio, float):
        parts.append(f"×{ratio:.3g}")
    return " ".join(parts)


class MetricChart(Vertical):
    """Name, unit, range and signal over the sparkline and its window marker."""

    DEFAULT_CSS = """
    MetricChart { height: auto; margin-bottom: 1; }
    MetricChart > Label { width: 1fr; }
    """

    def __init__(self, series: MetricSeries, window: TimeWindow | None, signal: Fact | None = None) -> None:
        super().__init__(classes="metric-chart")
        self.series = series
        self.window = window
        self.signal = signal

    def compose(self) -> ComposeResult:
        data = filled(self.series.values)
        unit = f" {self.series.unit}" if self.series.unit else ""
        low, high = (min(data), max(data)) if data else (0.0, 0.0)
        note = signal_note(self.series.name, self.signal)
        yield Label(
            Text.assemble(
                (self.series.name, "bold"),
                unit,
                (f"  {low:.4g} … {high:.4g}", "dim"),
                (f"  {note}" if note else "", "yellow"),
            )
        )
        yield Sparkline(data, summary_function=max)
        yield WindowMarker(len(data), window_indices(self.series.timestamps, self.window))
