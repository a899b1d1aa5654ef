"""The anomaly lab end to end: inject a known anomaly into a real server, collect live, diagnose.

Each case runs a short normal baseline, then the anomaly; the rules infer the
anomaly window themselves (nothing tells them when it began), exactly as for
``sleuth diagnose --dsn``. PostgreSQL and MariaDB capture the same anomaly at
the same time (it halves the wall time; the host figures then show the same
kind of load on both), and are diagnosed one after the other. A one-line
summary per case (cause, certainty, times) is printed for the report
(``pytest -s``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from knowledge_graph import load_default_graph
from rules import RuleBook, load_rulebook
from tests.live.lab_env import Lab
from tests.live.scenario import EXPECTED, Capture, ScenarioResult, capture_scenario, diagnose_capture

pytestmark = pytest.mark.live

SERVERS = ("pg", "mysql")
CASES = [(anomaly, server) for anomaly in EXPECTED for server in SERVERS]


class PairedCaptures:
    """Captures each anomaly once on both servers together; every test then reads its server's result."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.book: RuleBook = load_rulebook()
        self.kg = load_default_graph()
        self._done: dict[tuple[str, str], ScenarioResult] = {}

    def result(self, anomaly: str, server: str) -> ScenarioResult:
        if (anomaly, server) not in self._done:
            with ThreadPoolExecutor(max_workers=len(SERVERS)) as pool:
                futures = {s: pool.submit(self._capture, anomaly, s) for s in SERVERS}
                captures = {s: f.result() for s, f in futures.items()}
            for s, capture in captures.items():
                self._done[(anomaly, s)] = diagnose_capture(capture, self.book, self.kg)
        return self._done[(anomaly, server)]

    def _capture(self, anomaly: str, server: str) -> Capture:
        monitor, admin = (
            (self.lab.pg, self.lab.pg_admin) if server == "pg" else (self.lab.mysql, self.lab.mysql_admin)
        )
        return capture_scenario(anomaly, monitor, admin)


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
