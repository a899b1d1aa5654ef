"""Charts for the metrics that moved come first, strongest first, joined to signals through aliases."""

from __future__ import annotations

from models import Fact, MetricSeries
from tui.app.chart_order import order_series
from tui.app.widgets.metric_chart import signal_note


def signal(name: str, baseline: float, anomaly: float) -> Fact:
    return Fact(
        kind="signal",
        name=name,
        attrs={
            "baseline": baseline,
            "anomaly": anomaly,
            "ratio": anomaly / baseline,
            "score": 12.5,
            "shape": "level_shift",
            "direction": "up",
        },
    )


def series(name: str) -> MetricSeries:
    return MetricSeries(name=name, timestamps=[0.0, 1.0], values=[1.0, 2.0])


def test_moved_metrics_first_by_strength_then_file_order() -> None:
    metrics = [series("cpu_usr (core #1)"), series("disk_read"), series("Threads_running"), series("net_in")]
    canonical: dict[str, str | None] = {
        "cpu_usr (core #1)": "cpu_user",
        "disk_read": "disk_read",
        "Threads_running": "threads_running",
        "net_in": None,
    }
    weak = signal("cpu_user", 20.0, 30.0).model_copy(update={"attrs": {"score": 3.0}})
    strong = signal("threads_running", 5.0, 80.0).model_copy(update={"attrs": {"score": -9.5}})
    derived = Fact(kind="derived", name="disk_read", attrs={"score": 100.0})
    ordered = order_series(metrics, canonical, [weak, strong, derived])
    assert [(s.name, f.name if f else None) for s, f in ordered] == [
        ("Threads_running", "threads_running"),
        ("cpu_usr (core #1)", "cpu_user"),
        ("disk_read", None),
        ("net_in", None),
    ]


def test_signal_note_names_the_graph_metric_when_it_differs_and_reads_in_units() -> None:
    fact = signal("cpu_user", 21.0, 95.0)
    assert signal_note("cpu_usr (core #1)", fact, "percent") == "→ cpu_user level shift ↑ 21% → 95% (×4.52)"
    assert signal_note("cpu_user", fact) == "level shift ↑ 21 → 95 (×4.52)"
    assert signal_note("cpu_user", None) == ""
    # a rise from nothing is said as such, not as the floored ratio the signal carries
    rise = signal("net_bytes", 0.0001, 1.752e8).model_copy(
        update={"attrs": {"baseline": 0.0, "anomaly": 1.752e8, "ratio": 97.6, "direction": "up"}}
    )
    assert signal_note("net_bytes", rise, "bytes") == "↑ 0 B → 167 MiB (from 0)"
