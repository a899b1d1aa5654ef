"""Metric tools: what one metric did, how the window compares with normal, what moved with it.

Numbers come from ``rules.signals`` (the same robust statistics the rules use),
so a planner observation and a rule condition never disagree about a metric.
``compare_window`` also reports the graph symptoms the move shows, as
observation facts named after the symptom: that is how the graph and the rules
pick up what the planner found.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from models import Fact, Incident, MetricSeries
from planner.tools.base import ToolContext, ToolOutput
from rules.signals import SignalError, extract_signals

METRIC_ID = r"^[a-z][a-z0-9_]{0,63}$"
CORRELATION_MIN = 0.7


class MetricArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(pattern=METRIC_ID, description="canonical metric id from the knowledge graph")


def _canonical(ctx: ToolContext, name: str) -> str | None:
    return name if ctx.graph.has_metric(name) else ctx.graph.resolve_metric(name)


def _series_for(ctx: ToolContext, metric: str) -> list[MetricSeries]:
    return [m for m in ctx.source.metrics() if m.values and _canonical(ctx, m.name) == metric]


def signal_of(ctx: ToolContext, metric: str, step: str) -> Fact:
    series = _series_for(ctx, metric)
    if not series:
        raise LookupError(f"no series for metric {metric!r}")
    probe = Incident(id="probe", instance=ctx.source.instance(), metrics=series, window=ctx.window)
    try:
        signals = extract_signals(probe, ctx.graph, infer_window=ctx.window is None)
    except SignalError as exc:
        raise LookupError(str(exc)) from exc
    fact = signals.get(metric)
    if fact is None:
        raise LookupError(f"metric {metric!r} has no usable samples")
    return fact.model_copy(update={"source": step})


def metric_summary(ctx: ToolContext, args: MetricArgs, step: str) -> ToolOutput:
    signal = signal_of(ctx, args.metric, step)
    attrs: dict[str, float | str | bool] = {
        k: signal.attrs[k] for k in ("baseline", "anomaly", "peak", "shape", "direction") if k in signal.attrs
    }
    fact = Fact(
        kind="observation", name="metric_summary", attrs={"metric": args.metric, **attrs}, source=step
    )
    return ToolOutput(
        summary=signal.text or f"{args.metric}: {attrs}", data={"metric": args.metric, **attrs}, facts=[fact]
    )


def compare_window(ctx: ToolContext, args: MetricArgs, step: str) -> ToolOutput:
    signal = signal_of(ctx, args.metric, step)
    symptoms = sorted(ctx.graph.observed_symptoms([signal]))
    facts = [signal] + [
        Fact(
            kind="observation",
            name=symptom,
            attrs={"metric": args.metric},
            certainty=float(signal.attrs.get("confidence", 1.0)),
            source=step,
            text=f"{symptom}: shown by {args.metric}",
        )
        for symptom in symptoms
    ]
    data = {"metric": args.metric, "symptoms": symptoms, **signal.attrs}
    shown = f"; shows {', '.join(symptoms)}" if symptoms else "; shows no known symptom"
    return ToolOutput(summary=(signal.text or args.metric) + shown, data=data, facts=facts)


def correlated_metrics(ctx: ToolContext, args: MetricArgs, step: str) -> ToolOutput:
    """Pearson r over the whole series: metrics that move with this one hint at a shared cause."""
    grouped: dict[str, list[MetricSeries]] = {}
    for m in ctx.source.metrics():
        key = _canonical(ctx, m.name)
        if key is not None and m.values:
            grouped.setdefault(key, []).append(m)
    if args.metric not in grouped:
        raise LookupError(f"no series for metric {args.metric!r}")
    base = grouped[args.metric][0].timestamps
    rows = {k: _mean_row(v, base) for k, v in grouped.items()}
    target = rows.pop(args.metric)
    if target is None:
        raise LookupError(f"metric {args.metric!r} is not on a shared time grid")
    found: list[tuple[str, float]] = []
    for other, row in sorted(rows.items()):
        r = _pearson(target, row) if row is not None else None
        if r is not None and abs(r) >= CORRELATION_MIN:
            found.append((other, round(r, 3)))
    found.sort(key=lambda p: (-abs(p[1]), p[0]))
    found = found[:5]
    facts = [
        Fact(
            kind="observation",
            name="metric_correlation",
            attrs={"metric": args.metric, "other": other, "r": r},
            certainty=abs(r),
            source=step,
        )
        for other, r in found
    ]
    text = ", ".join(f"{o} (r={r:+.2f})" for o, r in found) or "none above |r| 0.7"
    return ToolOutput(
        summary=f"{args.metric} moves with: {text}", data={"correlated": dict(found)}, facts=facts
    )


def _mean_row(series: list[MetricSeries], grid: list[float]) -> np.ndarray | None:
    same = [s for s in series if s.timestamps == grid]
    if not same:
        return None
    block = np.array([[np.nan if v is None else v for v in s.values] for s in same], dtype=np.float64)
    out: np.ndarray = np.nanmean(block, axis=0) if len(same) > 1 else block[0]
    return out


def _pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3:
        return None
    x, y = a[ok], b[ok]
    if float(x.std()) == 0.0 or float(y.std()) == 0.0:
        return None
    return float(np.corrcoef(x, y)[0, 1])
