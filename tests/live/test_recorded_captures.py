"""Lab captures recorded from the real servers, diagnosed again without a server.

``tests/live/cases`` holds one capture per lab anomaly and server it exists on,
taken by ``test_live_anomalies`` (``SLEUTH_LAB_DUMP``) and trimmed by
``tests.live.record`` to the series the knowledge graph maps, ten digests, the
heaviest statements with their tables and plans, the last hundred lock waits
and the settings the rules read — a check on the files showed the trimmed
captures diagnose exactly like the full ones. They pin the live diagnoses down
for every change to the rules, signals or graph, in milliseconds and with no
server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.injectors import ANOMALIES
from planner.tools.base import ToolContext
from planner.tools.datasource import IncidentSource
from planner.tools.workload import TopSqlArgs, top_sql
from sleuth import Sleuth
from sources.live.sqltext import same_table
from tests.live.scenario import EXPECTED

CASES = Path(__file__).parent / "cases"
APP = Sleuth()
ENGINES = {"postgres": "postgres", "mariadb": "mariadb"}
FAMILY = {"postgres": "postgres", "mariadb": "mysql"}
FILES = sorted(CASES.glob("*.json"))


def test_every_anomaly_has_a_capture_from_each_server_it_exists_on() -> None:
    assert sorted(f.stem for f in FILES) == sorted(
        f"{anomaly}-{engine}"
        for anomaly in EXPECTED
        for engine in ENGINES
        if FAMILY[engine] in ANOMALIES[anomaly].engines
    )


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_recorded_capture_keeps_its_top_cause(path: Path) -> None:
    anomaly, engine = path.stem.rsplit("-", 1)
    incident = APP.load_incident(path)
    assert incident.instance.engine == ENGINES[engine]
    assert incident.source == f"live:{engine}"
    diagnosis = APP.diagnose(incident)
    assert diagnosis.window_inferred
    assert diagnosis.causes, diagnosis.errors
    assert diagnosis.causes[0].cause in EXPECTED[anomaly]
    assert diagnosis.causes[0].certainty >= 0.5


# Captures where the anomaly fills more than half of the eighteen samples (the storm's clients all
# connected within three seconds; the bulk loads woke a third of the metrics): the capture's own
# spread of a metric is then half its step, and its quiet lead-in reads like a collector's warm-up.
HALF = sorted((CASES / "half").glob("*.json"))


@pytest.mark.parametrize("path", HALF, ids=[f.stem for f in HALF])
def test_an_anomaly_filling_most_of_a_short_capture_keeps_its_top_cause(path: Path) -> None:
    anomaly = path.stem.split("-", 1)[0]
    diagnosis = APP.diagnose(APP.load_incident(path))
    assert diagnosis.causes, diagnosis.errors
    assert diagnosis.causes[0].cause in EXPECTED[anomaly]


NAMED = [f for f in FILES if ANOMALIES[f.stem.rsplit("-", 1)[0]].table is not None]


@pytest.mark.parametrize("path", NAMED, ids=[f.stem for f in NAMED])
def test_recorded_capture_names_its_statement_and_table(path: Path) -> None:
    table = ANOMALIES[path.stem.rsplit("-", 1)[0]].table
    assert table is not None
    top = APP.diagnose(APP.load_incident(path)).causes[0]
    assert any(s.kind == "table" and same_table(s.name, table) for s in top.subjects)
    assert any(s.kind == "statement" and table in s.text for s in top.subjects)


def test_the_planners_top_sql_tool_reports_the_statement_and_table_evidence() -> None:
    incident = APP.load_incident(CASES / "dead_tuples-postgres.json")
    window = APP.diagnose(incident).window
    ctx = ToolContext(source=IncidentSource(incident), graph=APP.graph, window=window)
    out = top_sql(ctx, TopSqlArgs(), "s1")
    names = {f.name for f in out.facts}
    assert {"top_sql", "statement", "table", "workload"} <= names
    [dead] = [f for f in out.facts if f.name == "table" and f.attrs["table"] == "public.lab_dead"]
    assert dead.attrs["vacuum_behind"] is True and dead.source == "s1"
    assert "rose with the window" in out.summary
