"""A tiny in-memory knowledge graph and rule-pack helpers, so rule tests need no shipped data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models import Engine, Fact, Incident, Instance, MetricSeries, Remediation, TimeWindow
from rules.book import RuleBook
from rules.lint import lint
from rules.loader import parse_pack


@dataclass(frozen=True)
class Ranked:
    cause: str
    certainty: float
    coverage: float
    score: float


class FakeGraph:
    """Knows a handful of causes and metrics; ranks by certainty alone, with a fixed coverage."""

    causes = ("cpu_saturation", "io_saturation", "lock_contention", "workload_spike", "missing_index")
    metrics = ("cpu_user", "cpu_system", "disk_write_sectors", "row_lock_waits", "latency", "threads_running")

    def has_cause(self, cause_id: str) -> bool:
        return cause_id in self.causes

    def has_metric(self, metric_id: str) -> bool:
        return metric_id in self.metrics

    def title(self, node_id: str) -> str:
        return node_id.replace("_", " ").capitalize()

    def remediations(self, cause_id: str) -> list[Remediation]:
        return [Remediation(id=f"fix_{cause_id}", title=f"Fix {cause_id}", risk="low")]

    def rank(self, certainties: dict[str, float], signals: list[Fact]) -> list[Ranked]:
        ranked = [Ranked(c, v, 0.5, v) for c, v in certainties.items()]
        return sorted(ranked, key=lambda r: (-r.score, r.cause))


def book_from(*texts: str, lint_with: FakeGraph | None = None) -> RuleBook:
    packs = [parse_pack(text, f"pack{i}.yaml", Path(f"pack{i}.yaml")) for i, text in enumerate(texts)]
    if lint_with is not None:
        problems = lint(packs, lint_with)
        assert not problems, [str(p) for p in problems]
    return RuleBook(packs)


def signal(name: str, confidence: float = 1.0, **attrs: float | str) -> Fact:
    return Fact(kind="signal", name=name, attrs={"confidence": confidence, **attrs})


def names(items: Sequence[object]) -> list[str]:
    return [getattr(i, "name", str(i)) for i in items]


@dataclass(frozen=True)
class Info:
    aggregate: str = "mean"
    unit: str = ""


@dataclass(frozen=True)
class Alias:
    metric: str
    scale: float = 1.0


class FakeCatalogGraph(FakeGraph):
    """Adds the metric catalogue signal extraction needs: every known metric is its own alias."""

    def resolve_alias(self, vendor_name: str) -> Alias | None:
        return Alias(vendor_name) if vendor_name in self.metrics else None

    def metric_info(self, metric_id: str) -> Info:
        return Info()


def incident(jumps: dict[str, float], *, engine: Engine = "mysql", labels: Sequence[str] = ()) -> Incident:
    """150 one-second samples of every fake metric, with a labelled window at 100..129 where
    each metric in ``jumps`` is multiplied by its factor; the rest stay at their normal wobble."""
    ts = [float(t) for t in range(150)]
    metrics = []
    for k, name in enumerate(FakeGraph.metrics):
        base = 20.0 + 5 * k
        values: list[float | None] = []
        for t in range(150):
            wobble = base * (1 + 0.02 * ((t * 7 + k) % 5 - 2))
            values.append(wobble * jumps.get(name, 1.0) if 100 <= t < 130 else wobble)
        metrics.append(MetricSeries(name=name, timestamps=ts, values=values))
    return Incident(
        id="synthetic-1",
        instance=Instance(engine=engine),
        metrics=metrics,
        window=TimeWindow(start=100, end=129),
        labels=list(labels),
    )
