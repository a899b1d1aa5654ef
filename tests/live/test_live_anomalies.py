"""The anomaly lab end to end: inject a known anomaly into a real server, collect live, diagnose.

Each case runs a short normal baseline, then the anomaly; the rules infer the
anomaly window themselves (nothing tells them when it began), exactly as for
``sleuth diagnose --dsn``. PostgreSQL and MariaDB capture the same anomaly at
the same time (it halves the wall time; the host figures then show the same
kind of load on both), and are diagnosed one after the other. The new
anomalies draw their sizes, threads and query shapes from one seed per run
(``SLEUTH_LAB_SEED`` replays a run). A one-line summary per case (cause,
certainty, the statement and table named, the parameters drawn, times) is
printed for the report (``pytest -s``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from lab.env import Lab
from lab.injectors import ANOMALIES
from sleuth import Sleuth
from sleuth.render import markdown
from sources.live.sqltext import same_table
from tests.live.scenario import (
    EXPECTED,
    Capture,
    ScenarioResult,
    capture_scenario,
    diagnose_capture,
    run_seed,
)

pytestmark = pytest.mark.live

SERVERS = {"pg": "postgres", "mysql": "mysql"}
CASES = [
    (anomaly, server)
    for anomaly in EXPECTED
    for server, family in SERVERS.items()
    if family in ANOMALIES[anomaly].engines
]
SEED = run_seed()


class PairedCaptures:
    """Captures each anomaly once on every server it exists on, together; each test reads its server's."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.app = Sleuth()
        self._done: dict[tuple[str, str], ScenarioResult] = {}

    def result(self, anomaly: str, server: str) -> ScenarioResult:
        if (anomaly, server) not in self._done:
            servers = [s for s, family in SERVERS.items() if family in ANOMALIES[anomaly].engines]
            with ThreadPoolExecutor(max_workers=len(servers)) as pool:
                futures = {s: pool.submit(self._capture, anomaly, s) for s in servers}
                captures = {s: f.result() for s, f in futures.items()}
            for s, capture in captures.items():
                self._done[(anomaly, s)] = diagnose_capture(capture, self.app)
        return self._done[(anomaly, server)]

    def _capture(self, anomaly: str, server: str) -> Capture:
        monitor, admin = (
            (self.lab.pg, self.lab.pg_admin) if server == "pg" else (self.lab.mysql, self.lab.mysql_admin)
        )
        return capture_scenario(anomaly, monitor, admin, seed=SEED)


@pytest.fixture(scope="module")
def captures(lab: Lab) -> PairedCaptures:
    return PairedCaptures(lab)


@pytest.mark.parametrize(("anomaly", "server"), CASES, ids=[f"{a}-{s}" for a, s in CASES])
def test_lab_anomaly_is_diagnosed_with_the_right_top_cause(
    captures: PairedCaptures, anomaly: str, server: str
) -> None:
    result = captures.result(anomaly, server)
    print(result.summary())
    assert result.injector_errors == []
    assert result.diagnosis.errors == []
    assert result.top in EXPECTED[anomaly], result.summary()
    assert result.top_certainty >= 0.5


NAMED = [(a, s) for a, s in CASES if ANOMALIES[a].table is not None]


@pytest.mark.parametrize(("anomaly", "server"), NAMED, ids=[f"{a}-{s}" for a, s in NAMED])
def test_the_report_names_the_statement_and_the_table(
    captures: PairedCaptures, anomaly: str, server: str
) -> None:
    result = captures.result(anomaly, server)
    table = ANOMALIES[anomaly].table
    assert table is not None
    top = result.diagnosis.causes[0]
    tables = [s.name for s in top.subjects if s.kind == "table"]
    statements = [s for s in top.subjects if s.kind == "statement"]
    assert any(same_table(t, table) for t in tables), result.summary()
    assert any(table in s.text for s in statements), result.summary()
    report = markdown(result.diagnosis)
    assert "Blamed:" in report and table in report.split("### 2.")[0]
