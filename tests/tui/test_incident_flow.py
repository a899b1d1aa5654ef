"""Open an incident: its title line, charts on a time axis, signals, causes, evidence, HOW, errors in full."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textual.widgets import DataTable, Sparkline, Static, TabbedContent

from tests.tui import world
from tests.tui.conftest import open_incident, settle
from tui.app.screens.detail import DetailScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.incidents import IncidentsScreen
from tui.app.widgets.metric_chart import MetricChart, WindowAxis

NO_METRICS = (
    "incidents/orders-nometrics.json: metrics: no samples (the file has no metric series); "
    "a diagnosis compares metric series"
)


def rows(table: DataTable[object]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text(screen: object, selector: str) -> str:
    assert isinstance(screen, IncidentScreen | IncidentsScreen | DetailScreen)
    return str(screen.query_one(selector, Static).render())


async def test_list_shows_status_certainty_and_errors_in_place_of_a_cause(root: Path) -> None:
    cf, _ = world.figures(world.diagnosed(root, "orders-locks.json"))
    app = world.app_in(root)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert rows(app.screen.query_one("#incidents-table", DataTable)) == [
            ["broken.json", "error", "", "incidents/broken.json: instance: Field required"],
            ["orders-locks.json", "explained", cf, "Lock contention"],
            ["orders-mystery.json", "inconclusive", "", ""],
            ["orders-nometrics.json", "error", "", NO_METRICS],
        ]
        assert text(app.screen, "#incidents-summary") == "4 incidents: 2 error, 1 explained, 1 inconclusive"
        assert text(app.screen, "#status-line") == "rules gen 1: 4 in 2 packs"


async def test_title_line_is_visible_with_engine_and_wall_clock_window(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_incident(pilot, 1)
        title = screen.query_one("#incident-title", Static)
        assert str(title.render()) == (
            "orders-locks on orders-db  mysql 8.0.35 db.r6g.large  "
            "window 2025-11-23 12:20:00 – 12:21:30 UTC (90 s), given"
        )
        # below the header, not under it
        header = screen.query_one("Header")
        assert title.region.y >= header.region.bottom and title.region.height == 2
        assert screen.query_one("#incident-tabs", TabbedContent).region.y > title.region.y


async def test_charts_carry_units_a_time_axis_and_the_window(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_incident(pilot, 1)
        charts = list(screen.query(MetricChart))
        # strongest signal first; the vendor name is joined to the graph's metric through its alias
        assert [c.series.name for c in charts] == ["Combined Avg Latency", "row_lock_waits", "cpu_user"]
        assert [str(c.query_one("Label").render()) for c in charts] == [
            "Combined Avg Latency  2 ms … 9 ms  → latency level shift ↑ 2.05 ms → 9 ms (×4.39)",
            "row_lock_waits  1/s … 40/s  level shift ↑ 1.5/s → 40/s (×26.7)",
            "cpu_user  20% … 95%  saturation ↑ 21% → 95% (×4.52)",
        ]
        assert [len(s.data or []) for s in screen.query(Sparkline)] == [60, 60, 60]
        axis = charts[0].query_one(WindowAxis)
        drawn = str(axis.render())
        assert len(drawn) == axis.size.width
        assert drawn.startswith("12:13:20 ") and drawn.rstrip().endswith(" 12:23:10")
        assert "12:20:00 ▔" in drawn  # the window's start, at the marker


async def test_diagnosis_tab_causes_evidence_how_and_remediation(root: Path) -> None:
    from sleuth.render import parts
    from sleuth.render.lines import to_text

    core = world.diagnosed(root, "orders-locks.json")
    (cf1, score1), (cf2, score2) = world.figures(core, 0), world.figures(core, 1)
    app = world.app_in(root)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_incident(pilot, 1)
        await pilot.press("d")
        await settle(pilot)
        assert screen.query_one("#incident-tabs", TabbedContent).active == "diagnosis"
        assert app.focused is screen.query_one("#causes")
        assert rows(screen.query_one("#causes", DataTable)) == [
            ["1", cf1, score1, "rules", "", "Lock contention"],
            ["2", cf2, score2, "rules", "", "CPU saturation"],
        ]
        assert rows(screen.query_one("#evidence", DataTable)) == [
            ["signal", "row_lock_waits", "1.5/s → 40/s (×26.7, z 51.9, peak 40/s)", "level shift, up"]
        ]
        assert text(screen, "#how") == to_text(parts.how_lines(core.causes[0]))
        assert text(screen, "#how").startswith(
            "rule lock_waits_pile_up [locks] on row_lock_waits ⇒ cause lock_contention"
        )
        assert text(screen, "#remediations") == "1. Fix lock_contention (low risk)"
        await pilot.press("down")
        await settle(pilot)
        assert rows(screen.query_one("#evidence", DataTable))[0][:3] == [
            "signal",
            "cpu_user",
            "21% → 95% (×4.52, z 49.9, peak 95%)",
        ]


async def test_enter_shows_a_cut_evidence_row_and_a_cause_in_full(root: Path) -> None:
    from sleuth.render import metric_units, parts
    from sleuth.render.lines import to_text
    from sleuth.render.text import cause_lines

    services = world.service(root)
    core = services.diagnose_file(Path("incidents/orders-locks.json"))
    lock = core.causes[0]
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_incident(pilot, 1)
        await pilot.press("d", "enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.title_text == "Lock contention"
        assert text(detail, "#detail-text") == to_text(
            cause_lines(1, lock, core, metric_units(services, [core]))
        )
        assert text(detail, "#detail-text").splitlines()[:3] == [
            f"1. Lock contention (lock_contention): {parts.cause_figures(lock)}",
            "  evidence:",
            "    signal row_lock_waits (level shift, up): 1.5/s → 40/s (×26.7, z 51.9, peak 40/s)",
        ]
        await pilot.press("escape")
        screen.query_one("#evidence").focus()
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.title_text == "Evidence: row_lock_waits"
        assert text(detail, "#detail-text").startswith(
            "signal row_lock_waits (level shift, up): 1.5/s → 40/s (×26.7, z 51.9, peak 40/s)\n\ntext: "
        )
        await pilot.press("escape")
        assert app.screen is screen


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (0, "broken.json: incidents/broken.json: instance: Field required"),
        (3, f"orders-nometrics.json: {NO_METRICS}"),
    ],
)
async def test_an_incident_that_cannot_be_diagnosed_says_why_on_its_title_line(
    root: Path, row: int, error: str
) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_incident(pilot, row)
        assert text(screen, "#incident-title") == error
        assert {a: screen.check_action(a, ()) for a in ("investigate", "why_not", "export", "verdict")} == {
            "investigate": None,
            "why_not": None,
            "export": None,
            "verdict": None,
        }
        await pilot.press("s", "x", "w", "y")  # dimmed in the key line, and inert
        await settle(pilot)
        assert app.screen is screen and screen.investigation is None


async def test_i_goes_to_the_list_from_an_incident_opened_anywhere(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_incident(pilot, 1)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("escape", "i")  # the graph's filter has the focus: escape leaves it
        await settle(pilot)
        assert isinstance(app.screen, IncidentsScreen)
        assert len(app.screen_stack) == 1


async def test_the_list_follows_files_on_disk(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.app.screens.incidents.POLL_SECONDS", 0.1)
    cf, _ = world.figures(world.diagnosed(root, "orders-locks.json"))
    app = world.app_in(root)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        locks = root / "incidents" / "orders-locks.json"
        (root / "incidents" / "orders-copy.json").write_text(
            locks.read_text().replace('"orders-locks"', '"orders-copy"')
        )
        (root / "incidents" / "broken.json").unlink()
        await pilot.pause(0.5)
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        assert [r[:3] for r in rows(table)] == [
            ["orders-copy.json", "explained", cf],
            ["orders-locks.json", "explained", cf],
            ["orders-mystery.json", "inconclusive", ""],
            ["orders-nometrics.json", "error", ""],
        ]
        # an edit is picked up too
        data = json.loads(locks.read_text())
        data["metrics"] = []
        locks.write_text(json.dumps(data))
        stamp = locks.stat().st_mtime + 5
        os.utime(locks, (stamp, stamp))
        await pilot.pause(0.5)
        await settle(pilot)
        assert rows(table)[1][:3] == ["orders-locks.json", "error", ""]


async def test_the_metrics_filter_narrows_charts_and_signals_and_enter_shows_a_signal(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_incident(pilot, 1)
        await pilot.press("slash", *"latency", "enter")
        await settle(pilot)
        # the vendor-named series is found by the graph's name for it
        assert [c.series.name for c in screen.query(MetricChart) if c.display] == ["Combined Avg Latency"]
        signals = screen.query_one("#signals", DataTable)
        assert [r[0] for r in rows(signals)] == ["latency"]
        signals.focus()
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.title_text == "Signal latency"
        assert text(detail, "#detail-text").startswith("latency up (level_shift): ")
