"""Batch: a directory diagnosed in a worker, with progress and a summary scored against labels."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from textual.widgets import DataTable, Input, Label, ProgressBar

from tests.tui.conftest import settle
from tests.tui.fakes import FakeServices, lock_diagnosis, make_incident
from tui.app.app import SleuthApp
from tui.app.screens.batch import BatchScreen
from tui.app.screens.incident import IncidentScreen


async def test_batch_diagnoses_a_directory_with_progress_and_summary(tmp_path: Path) -> None:
    root = tmp_path / "cases"
    (root / "nested").mkdir(parents=True)
    (root / "a.json").write_text(make_incident("a", labels=["lock_contention"]).model_dump_json())
    (root / "nested" / "b.json").write_text(make_incident("b", labels=["io_saturation"]).model_dump_json())
    (root / "c.json").write_text(make_incident("c").model_dump_json())
    (root / "d.json").write_text("{not json")
    services = FakeServices(diagnoses={"a": lock_diagnosis("a"), "b": lock_diagnosis("b")})
    app = SleuthApp(services, tmp_path / "elsewhere")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        path_input = screen.query_one("#batch-path", Input)
        path_input.value = str(root)
        await pilot.click("#batch-run")
        await settle(pilot)
        bar = screen.query_one("#batch-progress", ProgressBar)
        assert (bar.total, bar.progress) == (4, 4)
        table = screen.query_one("#batch-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:6] for r in rows] == [
            ["a.json", "rules", "Lock contention", "0.86", "lock_contention", "✓"],
            ["c.json", "inconclusive", "", "", "", "—"],
            ["d.json", "1 validation error for Incident", "", "", "", "—"],
            ["nested/b.json", "rules", "Lock contention", "0.86", "io_saturation", "✗"],
        ]
        assert str(screen.query_one("#batch-summary", Label).render()) == (
            "4 diagnosed: 2 explained, 1 inconclusive, 1 errors; top cause correct in 1/2 labelled"
        )
        table.focus()
        table.move_cursor(row=3)
        await pilot.press("enter")
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, IncidentScreen) and opened.ref.name == "nested/b.json"
        assert app.current_mode == "batch"


async def test_batch_progress_advances_per_incident_and_stop_keeps_what_was_done(tmp_path: Path) -> None:
    root = tmp_path / "cases"
    root.mkdir()
    for name in ("a", "b", "c"):
        (root / f"{name}.json").write_text(make_incident(name).model_dump_json())
    services = FakeServices(diagnoses={"a": lock_diagnosis("a")})
    gate = threading.Event()
    services.diagnose_gates["b"] = gate
    app = SleuthApp(services, root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        services.diagnose_calls.clear()
        await pilot.press("ctrl+b")
        for _ in range(300):
            if services.diagnose_calls == ["a", "b"]:
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        bar = screen.query_one("#batch-progress", ProgressBar)
        assert (bar.total, bar.progress) == (3, 1)  # a done, b blocked in the engine
        assert str(screen.query_one("#batch-summary", Label).render()) == "Diagnosing 3 incidents…"
        await pilot.press("ctrl+x")
        gate.set()
        await settle(pilot)
        assert (bar.total, bar.progress) == (3, 2)  # b finishes; c is never started
        assert services.diagnose_calls == ["a", "b"]
        assert str(screen.query_one("#batch-summary", Label).render()) == (
            "Stopped. 2 diagnosed: 1 explained, 1 inconclusive, 0 errors"
        )
