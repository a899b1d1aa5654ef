"""The anomaly lab end to end: inject a known anomaly into a real server, collect live, diagnose.

Each case runs a short normal baseline, then the anomaly; the rules infer the
anomaly window themselves (nothing tells them when it began), exactly as for
``sleuth diagnose --dsn``. A one-line summary per case (cause, certainty,
time) is printed for the report (``pytest -s``).
"""

from __future__ import annotations

import pytest

from tests.live.lab_env import Lab
from tests.live.scenario import run_scenario

pytestmark = pytest.mark.live

# (anomaly, server, causes accepted at the top): two names where the literature files one
# phenomenon under two ids (D-Bot's cpu_contention vs DBSherlock's cpu_saturation).
CASES = [
    ("lock_contention", "pg", {"lock_contention"}),
    ("lock_contention", "mysql", {"lock_contention"}),
    ("missing_index", "pg", {"missing_index"}),
    ("missing_index", "mysql", {"missing_index"}),
    ("idle_in_transaction", "pg", {"idle_in_transaction"}),
    ("idle_in_transaction", "mysql", {"idle_in_transaction"}),
    ("connection_storm", "pg", {"connection_exhaustion"}),
    ("connection_storm", "mysql", {"connection_exhaustion"}),
    ("cpu_heavy", "pg", {"cpu_contention", "cpu_saturation"}),
    ("cpu_heavy", "mysql", {"cpu_contention", "cpu_saturation"}),
    ("large_inserts", "pg", {"large_inserts"}),
    ("large_inserts", "mysql", {"large_inserts"}),
]


@pytest.mark.parametrize(("anomaly", "server", "accepted"), CASES, ids=[f"{a}-{s}" for a, s, _ in CASES])
def test_lab_anomaly_is_diagnosed_with_the_right_top_cause(
    lab: Lab, anomaly: str, server: str, accepted: set[str]
) -> None:
    monitor, admin = (lab.pg, lab.pg_admin) if server == "pg" else (lab.mysql, lab.mysql_admin)
    result = run_scenario(anomaly, monitor, admin)
    print(result.summary())
    assert result.injector_errors == []
    assert result.diagnosis.errors == []
    assert result.top in accepted, result.summary()
    assert result.top_certainty >= 0.5
