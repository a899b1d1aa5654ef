"""Open an incident, read its metrics and signals, select a cause and see its evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Label, Sparkline, Static, TabbedContent

from tests.tui.conftest import settle
from tests.tui.fakes import FakeServices, lock_diagnosis, make_incident
from tui.app.app import SleuthApp
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.incidents import IncidentsScreen
from tui.app.widgets.metric_chart import WindowMarker


def row_texts(table: DataTable[object]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_list_shows_status_and_top_cause(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        assert row_texts(table) == [
            ["orders-locks.json", "explained", "Lock contention", "0.86"],
            ["orders-mystery.json", "inconclusive", "", ""],
        ]
        summary = app.screen.query_one("#incidents-summary", Label)
        assert str(summary.render()) == "2 incidents: 1 explained, 1 inconclusive"


async def test_open_incident_shows_sparklines_window_and_signals(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        assert len(app.screen_stack) == 2  # the table's enter and the screen's binding open it once
        sparklines = list(screen.query(Sparkline))
        assert [len(s.data or []) for s in sparklines] == [60, 60]
        # the missing sample at t=10 carries the previous value forward, not a drop to zero
        assert list(sparklines[1].data or [])[9:12] == [2.0, 2.0, 2.0]
        marker = screen.query(WindowMarker).first()
        assert marker.span == (40, 49)
        drawn = str(marker.render())
        assert marker.size.width == 116
        # 60 samples over 116 columns: samples 40..49 land on columns 78..96
        assert [i for i, ch in enumerate(drawn) if ch == "▔"] == list(range(78, 97))
        signals = screen.query_one("#signals", DataTable)
        assert row_texts(signals)[1] == [
            "row_lock_waits",
            "level_shift",
            "up",
            "1.5",
            "40",
            "26.67",
            "12.5",
            "0.9",
        ]


async def test_select_cause_shows_its_evidence_chain_and_remediation(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert screen_checks(screen) == {"why_not": True, "export": True, "investigate": True}
        assert screen.query_one("#incident-tabs", TabbedContent).active == "diagnosis"
        causes = screen.query_one("#causes", DataTable)
        assert [r[1] for r in row_texts(causes)] == ["Lock contention", "CPU saturation"]
        evidence = screen.query_one("#evidence", DataTable)
        assert row_texts(evidence) == [["signal", "row_lock_waits", "1.5 → 40", "lock waits x27"]]
        how = str(screen.query_one("#how", Static).render())
        assert "lock_waits_up [mysql_locks]  row_lock_waits  premise 0.90 → fact lock_pressure @ 0.81" in how
        causes.focus()
        await pilot.press("down")
        await pilot.pause()
        assert row_texts(evidence) == [["signal", "cpu_user", "21 → 95", ""]]
        assert str(screen.query_one("#remediations", Static).render()) == "[high] Scale up the instance class"


async def test_why_not_any_other_cause(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        # concluded causes are not offered; the filter narrows the rest
        await pilot.press(*"io_sat", "enter")
        await settle(pilot)
        text = str(app.screen.query_one("#whynot", Static).render())
        assert text.splitlines() == [
            "WHY NOT io_saturation",
            "io_saturation was not concluded; io_saturation_rule: signal io_wait ratio=1.02 (needs > 2)",
            "• io_saturation_rule [mysql_io] I/O wait climbs (failed, CF 0.70)",
            "    ✗ all signal io_wait: ratio=1.02 (needs > 2)",
            "      io_wait not clearly changed: 3 percent normally, 3.06 in the window",
        ]


async def test_incident_list_follows_files_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.app.screens.incidents.POLL_SECONDS", 0.1)
    root = tmp_path / "incidents"
    root.mkdir()
    (root / "a.json").write_text(make_incident("a").model_dump_json(), encoding="utf-8")
    services = FakeServices(diagnoses={"b": lock_diagnosis("b")})
    app = SleuthApp(services, root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        assert [r[0] for r in row_texts(table)] == ["a.json"]
        (root / "b.json").write_text(make_incident("b").model_dump_json(), encoding="utf-8")
        (root / "broken.json").write_text(json.dumps({"id": "broken"}), encoding="utf-8")
        screen = app.screen
        assert isinstance(screen, IncidentsScreen)
        await pilot.pause(0.4)  # a few polls
        await settle(pilot)
        rows = row_texts(table)
        assert [r[:3] for r in rows[:2]] == [
            ["a.json", "inconclusive", ""],
            ["b.json", "explained", "Lock contention"],
        ]
        assert rows[2][:3] == ["broken.json", "error", "1 validation error for Incident"]
        # unchanged incidents are not diagnosed again
        assert services.diagnose_calls == ["a", "b"]


async def test_opening_a_broken_incident_shows_its_error(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"id": "x"}', encoding="utf-8")
    app = SleuthApp(FakeServices(), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        title = str(app.screen.query_one("#incident-title", Label).render())
        assert title == "broken.json: 1 validation error for Incident"
        assert screen_checks(app.screen) == {"why_not": None, "export": None, "investigate": None}
        await pilot.press("x", "p")  # dimmed in the footer, and inert
        await pilot.pause()
        assert isinstance(app.screen, IncidentScreen) and app.screen.investigation is None


def screen_checks(screen: object) -> dict[str, bool | None]:
    assert isinstance(screen, IncidentScreen)
    return {a: screen.check_action(a, ()) for a in ("why_not", "export", "investigate")}
