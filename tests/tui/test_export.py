"""Exporting a diagnosis: outside the watched folder by default, a bad path fixed in place,
JSON that round-trips to ``models.Diagnosis``, Markdown that is the shared report with the WHY NOT asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from models import Diagnosis
from sleuth import user_data_dir
from sleuth.render import markdown, metric_units
from tests.tui import world
from tests.tui.conftest import settle
from tui.app.export import default_export_path, reports_dir
from tui.app.screens.export_dialog import ExportDialog
from tui.app.screens.incident import IncidentScreen


def test_reports_go_to_the_working_directory_unless_it_is_the_watched_tree(tmp_path: Path) -> None:
    watched = tmp_path / "incidents"
    (watched / "mysql").mkdir(parents=True)
    assert reports_dir(watched, cwd=tmp_path) == Path()  # the working directory
    assert reports_dir(watched, cwd=watched) == user_data_dir() / "reports"
    assert reports_dir(watched, cwd=watched / "mysql") == user_data_dir() / "reports"
    # a single incident file: its folder is the watched one
    incident = watched / "orders.json"
    incident.write_text("{}")
    assert reports_dir(incident, cwd=watched) == user_data_dir() / "reports"
    assert default_export_path(incident, "markdown", tmp_path) == tmp_path / "orders.diagnosis.md"
    assert default_export_path(tmp_path / "case-7", "json", tmp_path) == tmp_path / "case-7.diagnosis.json"


async def open_locks_dialog(pilot: Pilot[None]) -> tuple[IncidentScreen, ExportDialog]:
    await settle(pilot)
    await pilot.press("down", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    await pilot.press("x")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    return screen, dialog


async def test_json_export_next_to_where_sleuth_runs_round_trips(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, dialog = await open_locks_dialog(pilot)
        path = dialog.query_one("#export-path", Input)
        assert path.value == "orders-locks.diagnosis.md"  # in the working directory
        await pilot.press("tab", "down", "enter")  # to the format, then JSON
        await settle(pilot)
        assert path.value == "orders-locks.diagnosis.json"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        written = root / "orders-locks.diagnosis.json"
        assert Diagnosis.model_validate_json(written.read_text()) == screen.diagnosis
        assert not list((root / "incidents").glob("*.diagnosis.*"))  # nothing written into the watched tree


async def test_a_bad_path_keeps_the_dialog_open_with_the_reason(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, dialog = await open_locks_dialog(pilot)
        await pilot.press("ctrl+u", *"no/such/dir/ticket.md", "enter")
        await settle(pilot)
        assert app.screen is dialog
        assert str(dialog.query_one("#export-error", Static).render()) == (
            "no/such/dir/ticket.md: No such file or directory"
        )
        assert app.focused is dialog.query_one("#export-path")
        # fixed in place: only the directory is retyped
        await pilot.press("ctrl+u", *"ticket.md", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert (root / "ticket.md").is_file()


async def test_markdown_is_the_shared_report_with_units_and_the_why_not_asked(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        await pilot.press("w", *"io_sat", "enter")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        services = app.state.services
        incident = services.load_incident(Path("incidents/orders-locks.json"))
        diagnosis = screen.diagnosis
        assert diagnosis is not None
        why = services.why_not(incident, "io_saturation")
        expected = markdown(diagnosis, units=metric_units(services, [diagnosis]), why_not=[why])
    written = (root / "orders-locks.diagnosis.md").read_text()
    assert written == expected
    assert "### Why not `io_saturation`" in written
    assert "| `row_lock_waits` | level shift, up | 1.5/s | 40/s | ×26.7 |" in written
