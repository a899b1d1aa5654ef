"""One lab run: a normal baseline, then an injected anomaly, collected live and diagnosed by the rules.

The collector samples through the read-only monitoring DSN while the
injectors write through the lab's read-write DSN, as a DBA's tool would see a
real incident unfold.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.db import lab_dsn
from lab.injector import Injector
from lab.injectors import ANOMALIES, background, prepare
from models import Diagnosis, Incident
from sleuth import Sleuth
from sources.live import collect

# The healthy test weighs a segment against a normal part of at least a third of the capture
# (``rules.health.REST_SHARE``): a baseline well over a third of it keeps a sample taken late, or a
# first one read as collector warm-up, from leaving the anomaly with no reference to be seen against.
BASELINE_S = 8.0
ANOMALY_S = 10.0
INTERVAL_S = 1.0
# The cause each lab anomaly is, at the top. ``cpu_heavy`` is the server's own statements on the
# cores (cpu_contention); cpu_saturation is a process outside the server taking them.
EXPECTED: dict[str, set[str]] = {
    "lock_contention": {"lock_contention"},
    "missing_index": {"missing_index"},
    "idle_in_transaction": {"idle_in_transaction"},
    "connection_storm": {"connection_exhaustion"},
    "cpu_heavy": {"cpu_contention"},
    "large_inserts": {"large_inserts"},
    "dead_tuples": {"dead_tuples_vacuum"},
    "redundant_indexes": {"redundant_indexes"},
    "large_fetches": {"large_fetches"},
    "correlated_subquery": {"correlated_subquery"},
    "poor_join": {"poor_join"},
    "large_updates_deletes": {"large_updates_deletes"},
}
# Each run draws the new anomalies' sizes, threads and query shapes from this seed (printed with
# the result); set it to replay a run.
SEED_ENV = "SLEUTH_LAB_SEED"
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
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def top(self) -> str | None:
        return self.diagnosis.causes[0].cause if self.diagnosis.causes else None

    @property
    def top_certainty(self) -> float:
        return self.diagnosis.causes[0].certainty if self.diagnosis.causes else 0.0

    def summary(self) -> str:
        causes = ", ".join(f"{c.cause}={c.certainty:.2f}" for c in self.diagnosis.causes[:5])
        subjects = (
            ", ".join(
                f"{s.kind}:{s.name if s.kind != 'statement' else s.text[:60]}"
                for s in self.diagnosis.causes[0].subjects
            )
            if self.diagnosis.causes
            else ""
        )
        return (
            f"{self.anomaly} on {self.incident.instance.engine}: {self.diagnosis.path} top={self.top} "
            f"p={self.diagnosis.health.p_value if self.diagnosis.health else None} "
            f"certainty={self.top_certainty:.2f} collect={self.collect_s:.1f}s "
            f"diagnose={self.diagnose_s * 1000:.0f}ms causes=[{causes}] subjects=[{subjects}] "
            f"params={self.params} errors={self.injector_errors} {self.timeline()}"
        )

    def timeline(self) -> str:
        """Where the window found and the strongest move sit against the anomaly's start, in seconds
        from the first sample, and whether the test found it material: what a failed run needs to
        be read when its capture was not kept."""
        firsts = [m.timestamps[0] for m in self.incident.metrics if m.timestamps]
        t0 = min(firsts, default=0.0)
        samples = max((len(m.values) for m in self.incident.metrics), default=0)
        health = self.diagnosis.health
        window = self.diagnosis.window
        found = f"{window.start - t0:.1f}-{window.end - t0:.1f}s" if window else "none"
        strongest = health.strongest if health else None
        moved = (
            f"{strongest.metric} {strongest.baseline:.4g}->{strongest.anomaly:.4g} ({strongest.score:+.1f} noise) "
            f"in {strongest.window.start - t0:.1f}-{strongest.window.end - t0:.1f}s"
            if strongest
            else "none"
        )
        return (
            f"timeline=[{samples} samples, anomaly began {self.anomaly_started - t0:.1f}s, window {found}, "
            f"material={health.material if health else None}, strongest {moved}]"
        )


@dataclass
class Capture:
    """One injected anomaly, as collected live (not yet diagnosed)."""

    anomaly: str
    incident: Incident
    anomaly_started: float
    collect_s: float
    injector_errors: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def run_seed() -> int:
    """The seed of this run's draws: ``$SLEUTH_LAB_SEED`` to replay one, else a fresh one."""
    fixed = os.environ.get(SEED_ENV)
    return int(fixed) if fixed else random.SystemRandom().randrange(2**31)


def capture_scenario(
    anomaly: str,
    monitor_dsn: str,
    admin_dsn: str,
    *,
    baseline_s: float = BASELINE_S,
    anomaly_s: float = ANOMALY_S,
    interval_s: float = INTERVAL_S,
    seed: int = 0,
) -> Capture:
    """Baseline, then ``anomaly`` for ``anomaly_s``, collected throughout by the monitoring account."""
    admin = lab_dsn(admin_dsn)
    prepare(admin)
    injector: Injector = ANOMALIES[anomaly].make(admin, random.Random(seed))
    started: list[float] = []

    def begin_anomaly() -> None:
        started.append(injector.start())

    load = background(admin)
    load.start()
    timer = threading.Timer(baseline_s, begin_anomaly)
    timer.daemon = True
    try:
        # The workload settles, and its statistics reach the views (PostgreSQL flushes them about
        # every second), before the first sample: a half-counted first interval would read as a
        # change of regime.
        time.sleep(2.5)
        t0 = time.monotonic()
        timer.start()
        incident = collect(monitor_dsn, baseline_s + anomaly_s, interval_s)
        collect_s = time.monotonic() - t0
    finally:
        timer.cancel()
        injector.stop()
        load.stop()
    dump = os.environ.get(DUMP_ENV)
    if dump:
        Path(dump).mkdir(parents=True, exist_ok=True)
        (Path(dump) / f"{anomaly}-{incident.instance.engine}.json").write_text(
            incident.model_dump_json(indent=1)
        )
    return Capture(
        anomaly=anomaly,
        incident=incident,
        anomaly_started=started[0] if started else float("nan"),
        collect_s=collect_s,
        injector_errors=[*injector.errors, *load.errors],
        params={"seed": seed, **injector.params},
    )


def diagnose_capture(capture: Capture, app: Sleuth) -> ScenarioResult:
    """The service's rules-only diagnosis of a capture (window inferred, as `sleuth diagnose` does), timed."""
    t0 = time.monotonic()
    diagnosis = app.diagnose(capture.incident)
    return ScenarioResult(
        anomaly=capture.anomaly,
        incident=capture.incident,
        diagnosis=diagnosis,
        anomaly_started=capture.anomaly_started,
        collect_s=capture.collect_s,
        diagnose_s=time.monotonic() - t0,
        injector_errors=capture.injector_errors,
        params=capture.params,
    )


def run_scenario(anomaly: str, monitor_dsn: str, admin_dsn: str) -> ScenarioResult:
    """Capture and diagnose one anomaly on one server (for a single case run by hand)."""
    return diagnose_capture(capture_scenario(anomaly, monitor_dsn, admin_dsn, seed=run_seed()), Sleuth())
