"""Inputs shared by the rule tests: the core fixture graph, rule books from YAML text, synthetic incidents.

Everything goes through production code: books are written to files and loaded
(validated and linted against the graph) by ``load_rulebook``; the graph is the
fixture ``tests/knowledge_graph/fixtures/core`` read by the real loader.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from knowledge_graph import KnowledgeGraph
from models import Engine, Fact, Incident, Instance, MetricSeries, TimeWindow
from rules.book import RuleBook, load_rulebook
from tests.knowledge_graph.conftest import core_graph

KG: KnowledgeGraph = core_graph()
# The metrics of ``incident``: every one is a metric of the core graph.
METRICS = ("cpu_user", "cpu_system", "disk_write_sectors", "row_lock_waits", "latency", "threads_running")


def book_from(*texts: str) -> RuleBook:
    """A rule book of packs ``pack0.yaml``, ``pack1.yaml``, ... holding ``texts``, loaded and linted."""
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(tmp) / f"pack{i}.yaml" for i in range(len(texts))]
        for file, text in zip(files, texts, strict=True):
            file.write_text(text, encoding="utf-8")
        return load_rulebook(files, graph=KG)


def signal(name: str, confidence: float = 1.0, **attrs: float | str) -> Fact:
    return Fact(kind="signal", name=name, attrs={"confidence": confidence, **attrs})


def incident(jumps: dict[str, float], *, engine: Engine = "mysql", labels: Sequence[str] = ()) -> Incident:
    """150 one-second samples of every metric in ``METRICS``, with a labelled window at 100..129 where
    each metric in ``jumps`` is multiplied by its factor; the rest stay at their normal wobble."""
    ts = [float(t) for t in range(150)]
    metrics = []
    for k, name in enumerate(METRICS):
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
