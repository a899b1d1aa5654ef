"""Lab captures recorded from the real servers, diagnosed again without a server.

``tests/live/cases`` holds one capture per lab anomaly and server, taken by
``test_live_anomalies`` (``SLEUTH_LAB_DUMP``) and trimmed to the series the
knowledge graph maps, ten digests, the last hundred lock waits and a few
settings — a check on the files showed the trimmed captures diagnose exactly
like the full ones. They pin the live diagnoses down for every change to the
rules, signals or graph, in milliseconds and with no server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_graph import load_default_graph
from rules import diagnose_with_rules, load_rulebook
from sources.importers import load_incident
from tests.live.scenario import EXPECTED

CASES = Path(__file__).parent / "cases"
ENGINES = {"postgres": "postgres", "mariadb": "mariadb"}
FILES = sorted(CASES.glob("*.json"))


def test_every_anomaly_has_a_capture_from_each_server() -> None:
    assert sorted(f.stem for f in FILES) == sorted(
        f"{anomaly}-{engine}" for anomaly in EXPECTED for engine in ENGINES
    )


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_recorded_capture_keeps_its_top_cause(path: Path) -> None:
    anomaly, engine = path.stem.rsplit("-", 1)
    incident = load_incident(path)
    assert incident.instance.engine == ENGINES[engine]
    assert incident.source == f"live:{engine}"
    diagnosis = diagnose_with_rules(incident, load_rulebook(), load_default_graph())
    assert diagnosis.window_inferred
    assert diagnosis.causes, diagnosis.errors
    assert diagnosis.causes[0].cause in EXPECTED[anomaly]
    assert diagnosis.causes[0].certainty >= 0.5
