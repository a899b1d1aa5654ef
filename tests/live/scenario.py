"""One lab run: a normal baseline, then an injected anomaly, collected live and diagnosed by the rules.

The collector samples through the read-only monitoring DSN while the
injectors write through the lab's read-write DSN, as a DBA's tool would see a
real incident unfold.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from knowledge_graph import load_default_graph
from lab.db import lab_dsn
from lab.injectors import ANOMALIES, Injector, background, prepare
from models import Diagnosis, Incident, TimeWindow
from rules import diagnose_with_rules, load_rulebook
from sources.live import collect

BASELINE_S = 7.0
ANOMALY_S = 11.0
INTERVAL_S = 1.0
# Set to a directory to keep every captured incident for inspection (``sleuth diagnose FILE``).
DUMP_ENV = "SLEUTH_LAB_DUMP"


@dataclass
class ScenarioResult:
    anomaly: str
    incident: Incident
    diagnosis: Diagnosis
    anomaly_started: float
    collect_s: float
    diagnose_s: float
    injector_errors: list[str] = field(default_factory=list)

    @property
    def top(self) -> str | None:
        return self.diagnosis.causes[0].cause if self.diagnosis.causes else None

    @property
    def top_certainty(self) -> float:
        return self.diagnosis.causes[0].certainty if self.diagnosis.causes else 0.0

    def summary(self) -> str:
        causes = ", ".join(f"{c.cause}={c.certainty:.2f}" for c in self.diagnosis.causes[:5])
        return (
            f"{self.anomaly} on {self.incident.instance.engine}: top={self.top} "
            f"certainty={self.top_certainty:.2f} collect={self.collect_s:.1f}s "
            f"diagnose={self.diagnose_s * 1000:.0f}ms causes=[{causes}] errors={self.injector_errors}"
        )


def run_scenario(
    anomaly: str,
    monitor_dsn: str,
    admin_dsn: str,
    *,
    baseline_s: float = BASELINE_S,
    anomaly_s: float = ANOMALY_S,
    interval_s: float = INTERVAL_S,
    tell_window: bool = False,
) -> ScenarioResult:
    """Baseline, then ``anomaly`` for ``anomaly_s``; collected throughout and diagnosed afterwards."""
    admin = lab_dsn(admin_dsn)
    prepare(admin)
    injector: Injector = ANOMALIES[anomaly](admin)
    started: list[float] = []

    def begin_anomaly() -> None:
        started.append(injector.start())

    load = background(admin)
    load.start()
    timer = threading.Timer(baseline_s, begin_anomaly)
    timer.daemon = True
    try:
        time.sleep(1.0)  # the background workload settles before the first sample
        t0 = time.monotonic()
        timer.start()
        incident = collect(monitor_dsn, baseline_s + anomaly_s, interval_s)
        collect_s = time.monotonic() - t0
    finally:
        timer.cancel()
        injector.stop()
        load.stop()
    anomaly_started = started[0] if started else float("nan")
    if tell_window and started:
        incident = incident.model_copy(
            update={
                "window": TimeWindow(
                    start=anomaly_started + interval_s, end=incident.metrics[0].timestamps[-1]
                )
            }
        )
    dump = os.environ.get(DUMP_ENV)
    if dump:
        Path(dump).mkdir(parents=True, exist_ok=True)
        (Path(dump) / f"{anomaly}-{incident.instance.engine}.json").write_text(
            incident.model_dump_json(indent=1)
        )
    t1 = time.monotonic()
    diagnosis = diagnose_with_rules(incident, book=load_rulebook(), kg=load_default_graph())
    diagnose_s = time.monotonic() - t1
    return ScenarioResult(
        anomaly=anomaly,
        incident=incident,
        diagnosis=diagnosis,
        anomaly_started=anomaly_started,
        collect_s=collect_s,
        diagnose_s=diagnose_s,
        injector_errors=[*injector.errors, *load.errors],
    )
