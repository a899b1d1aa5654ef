"""A healthy lab capture: the lab's steady background workload and nothing else comes back ``healthy``.

The file's name puts it before the anomaly scenarios: a capture right after them sees the servers
vacuum, purge and checkpoint what the scenarios left, and the host's CPU fall from saturated to
idle, a real change of regime that is no steady server.

Most of what a watcher captures holds no incident; a capture of a steady
server must say so (status ``healthy``, what was tested, the largest
departure) rather than find a cause in its noise, and the planner must not be
asked for one. Both servers are captured at the same time, for ``STEADY_S``
seconds, with the window inferred. Measured on the shared two-core lab host:
8 of 8 forty-second captures healthy on each server; with sixteen-second
captures (an anomaly scenario's length) PostgreSQL 11 of 12 and MariaDB 8 of
12, whose steady OLTP drifts by a third within a quarter of a minute when
other work takes the cores (its redo rate, its statement time), which so
short a capture cannot tell from a shift.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab.db import lab_dsn
from lab.env import Lab
from lab.injectors import background, prepare
from models import Diagnosis, Incident
from sleuth import DiagnoseOptions, Sleuth
from sources.live import collect
from tests.live.scenario import INTERVAL_S

pytestmark = pytest.mark.live

# The workload runs this long before the first sample: its statistics reach the views, and the
# servers warm their caches for its freshly made tables (PostgreSQL allocates buffers for them,
# several a second falling to a couple, for tens of seconds): a cache warming is a real change of
# regime, not a steady server.
SETTLE_S = 30.0
STEADY_S = 40.0


def _steady_capture(monitor_dsn: str, admin_dsn: str) -> tuple[Incident, list[str]]:
    admin = lab_dsn(admin_dsn)
    prepare(admin)
    load = background(admin)
    load.start()
    try:
        time.sleep(SETTLE_S)
        incident = collect(monitor_dsn, STEADY_S, INTERVAL_S)
    finally:
        load.stop()
    return incident, list(load.errors)


@pytest.fixture(scope="module")
def diagnoses(lab: Lab) -> dict[str, tuple[Diagnosis, list[str]]]:
    app = Sleuth()
    servers = {"pg": (lab.pg, lab.pg_admin), "mysql": (lab.mysql, lab.mysql_admin)}
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        futures = {name: pool.submit(_steady_capture, *dsns) for name, dsns in servers.items()}
        captured = {name: f.result() for name, f in futures.items()}
    return {
        name: (app.diagnose(incident, DiagnoseOptions(llm="never")), errors)
        for name, (incident, errors) in captured.items()
    }


@pytest.mark.parametrize("server", ["pg", "mysql"])
def test_a_steady_lab_capture_is_healthy(
    diagnoses: dict[str, tuple[Diagnosis, list[str]]], server: str
) -> None:
    diagnosis, errors = diagnoses[server]
    health = diagnosis.health
    print(
        f"{server}: {diagnosis.path} p={health.p_value if health else None} "
        f"largest={health.strongest if health else None} causes={[c.cause for c in diagnosis.causes]}"
    )
    assert errors == []
    assert diagnosis.errors == []
    assert diagnosis.path == "healthy", [c.cause for c in diagnosis.causes]
    assert diagnosis.causes == [] and diagnosis.window is None and diagnosis.windows == []
    assert health is not None and health.healthy and health.p_value > 0.01
    assert health.samples >= STEADY_S / INTERVAL_S - 2 and health.metrics > 0
