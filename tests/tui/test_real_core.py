"""The UI over the shipped core: the example incidents, the shipped rule packs and knowledge graph.

These prove the facade's wiring (what the screens show is what the core
computes) and the reload contract with real rule files: a broken edit leaves
the previous book in force.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable

from knowledge_graph import load_default_graph
from models import Incident
from rules import PACKS_DIR, diagnose_with_rules, load_rulebook
from sleuth import Settings, Sleuth
from tests.tui.conftest import settle
from tui.app.app import SleuthApp
from tui.app.screens.incident import IncidentScreen

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    target = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, target)
    return target


def load_incident(path: Path) -> Incident:
    return Sleuth(Settings()).load_incident(path)


async def test_incidents_and_diagnosis_match_the_core() -> None:
    book, kg = load_rulebook(), load_default_graph()
    expected = []
    for path in sorted(EXAMPLES.glob("*.json")):
        diagnosis = diagnose_with_rules(load_incident(path), book, kg)
        top = diagnosis.causes[0] if diagnosis.causes else None
        expected.append([path.name, f"{top.certainty:.2f}" if top else "", top.title if top else ""])
    app = SleuthApp(Sleuth(Settings()), EXAMPLES)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [[r[0], r[2], r[3]] for r in rows] == expected  # name, CF, top cause
        names = [r[0] for r in rows]
        table.move_cursor(row=names.index("lock_contention-01.json"))
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        assert screen.diagnosis is not None
        assert screen.diagnosis.causes[0].cause == "lock_contention"
        causes = screen.query_one("#causes", DataTable)
        assert str(causes.get_row_at(0)[5]) == "Lock contention"
        assert screen.query_one("#signals", DataTable).row_count == len(screen.diagnosis.signals) > 0


def test_rules_state_reload_and_broken_edit_keeps_the_book(packs: Path) -> None:
    services = Sleuth(Settings(rules=[packs]))
    state = services.rules.state()
    assert state.generation == 1 and state.errors == ()
    book = load_rulebook([packs])
    assert [p.name for p in state.packs] == [loaded.pack.pack for loaded in book.packs]
    assert state.rule_count == len(book)
    assert services.rules.files() == sorted(packs.glob("*.yaml"))
    first = state.packs[0].rules[0]
    assert (first.id, first.line, first.file) == ("connections_near_limit", 7, packs / "common.yaml")

    common = packs / "common.yaml"
    good = common.read_text()
    common.write_text(good.replace("certainty: 0.9\n", "certainty: 9\n", 1))
    broken = services.rules.reload()
    assert broken.generation == 1 and broken.packs == state.packs
    assert len(broken.errors) == 1 and broken.errors[0].startswith(f"{common}:")
    assert "connections_near_limit" in broken.errors[0]
    incident = load_incident(EXAMPLES / "lock_contention-01.json")
    assert services.diagnose(incident).causes[0].cause == "lock_contention"  # old book still in force

    common.write_text(good)
    assert services.rules.reload().generation == 2


def test_graph_lint_tests_and_why_not_come_from_the_core(packs: Path) -> None:
    services = Sleuth(Settings(rules=[packs]))
    kg = load_default_graph()
    causes = {c.id: c for c in services.kg_causes()}
    assert sorted(causes) == sorted(kg.cause_ids()) == services.cause_ids()
    lock = causes["lock_contention"]
    assert lock.title == kg.title("lock_contention")
    assert [s.id for s in lock.symptoms] == sorted(kg.symptoms_of("lock_contention"))
    waits = next(s for s in lock.symptoms if s.id == "lock_waits_up")
    assert [(m.id, m.direction) for m in waits.metrics][:2] == [
        ("row_lock_waits", "up"),
        ("lock_waits_current", "up"),
    ]
    # a symptom only a planner check can show has no metric under it
    assert next(s for s in lock.symptoms if s.id == "blocking_session_found").metrics == ()
    assert [r.id for r in lock.remediations] == [r.id for r in kg.remediations("lock_contention")]
    assert services.lint(services.rules.sources())[2] == []
    outcomes = services.test_rules(rule_id="connections_near_limit")
    assert [(o.incident.name, o.passed) for o in outcomes] == [("rds_connection_exhaustion.json", True)]
    incident = load_incident(EXAMPLES / "lock_contention-01.json")
    why = services.why_not(incident, "storage_full")
    assert why.cause == "storage_full" and why.summary.startswith("storage_full was not concluded")
