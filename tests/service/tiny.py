"""The tiny fixture graph, a small real rule pack over it, and an incident with a CPU step: the service
tests' shared inputs."""

from __future__ import annotations

from pathlib import Path

from models import Incident, Instance, MetricSeries, TimeWindow

TINY_GRAPH = Path(__file__).resolve().parents[1] / "knowledge_graph" / "fixtures" / "tiny" / "graph.yaml"

PACK = """\
pack: tiny
rules:
  - id: cpu_hot
    title: CPU rose
    when:
      all:
        - {signal: m_cpu, direction: up, ratio: {gte: 2}}
    then: {cause: c_cpu}
    certainty: 0.9
  - id: locks_up
    title: Lock waits rose
    when:
      all:
        - {signal: m_locks, direction: up, ratio: {gte: 2}}
    then: {cause: c_lock}
    certainty: 0.8
"""


def incident(incident_id: str, cpu_step: float) -> Incident:
    """Sixty samples of a CPU metric with a step of ``cpu_step`` inside the window 40..49."""
    ts = [float(t) for t in range(60)]
    cpu: list[float | None] = [20.0 + (t % 3) + (cpu_step if 40 <= t <= 49 else 0.0) for t in range(60)]
    return Incident(
        id=incident_id,
        instance=Instance(engine="mysql"),
        metrics=[MetricSeries(name="m_cpu", unit="percent", timestamps=ts, values=cpu)],
        window=TimeWindow(start=40.0, end=49.0),
        labels=["c_cpu"],
    )
