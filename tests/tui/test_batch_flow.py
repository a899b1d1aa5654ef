"""Batch: a directory diagnosed in a worker, N/M while it runs, the tally against labels, a result
opened with enter, the planner for what the rules leave unexplained, and stop."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from tests.tui import world
from tests.tui.conftest import settle
from tui.app.screens.batch import BatchScreen, progress_text
from tui.app.screens.incident import IncidentScreen


def rows(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_progress_says_how_many_and_how_long_is_left() -> None:
    assert progress_text(0, 70, 0.0) == "0/70"
    assert progress_text(10, 70, 5.0) == "10/70 · about 30 s left"
    assert progress_text(60, 70, 120.0) == "60/70 · about 20 s left"
    assert progress_text(1, 400, 3.0) == "1/400 · about 19.9 min left"
    assert progress_text(70, 70, 99.0) == "70/70"


async def test_batch_runs_a_directory_and_enter_opens_a_result(root: Path) -> None:
    cases = root / "cases"
    (cases / "nested").mkdir(parents=True)
    shutil.copy(root / "incidents" / "orders-locks.json", cases / "nested" / "a.json")
    shutil.copy(root / "incidents" / "orders-mystery.json", cases / "b.json")
    shutil.copy(root / "incidents" / "broken.json", cases / "c.json")
    cf, _ = world.figures(world.diagnosed(root, "orders-locks.json"))
    app = world.app_in(root)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        await pilot.press("ctrl+u", *"cases", "enter")
        await settle(pilot)
        bar = screen.query_one("#batch-progress", ProgressBar)
        assert (bar.total, bar.progress) == (3, 3)
        assert str(screen.query_one("#batch-count", Label).render()) == "3/3 done"
        assert rows(screen.query_one("#batch-table", DataTable)) == [
            ["b.json", "inconclusive", "", "—", "", ""],
            ["c.json", "error", "", "—", "cases/c.json: instance: Field required", ""],
            ["nested/a.json", "explained", cf, "✓", "Lock contention", "lock_contention"],
        ]
        assert str(screen.query_one("#batch-summary", Static).render()) == (
            "3 diagnosed: 1 error, 1 explained, 1 inconclusive; top cause correct in 1/1 labelled"
        )
        assert app.focused is screen.query_one("#batch-table")
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, IncidentScreen) and opened.ref.name == "nested/a.json"
        assert app.current_mode == "batch"
        await pilot.press("escape", "slash", *"error", "enter")
        await settle(pilot)
        assert [r[0] for r in rows(screen.query_one("#batch-table", DataTable))] == ["c.json"]


async def test_the_planner_takes_what_the_rules_leave_unexplained(root: Path) -> None:
    cf, _ = world.figures(world.diagnosed(root, "orders-locks.json"))
    app = world.app_in(root, world.MYSTERY_ANSWERS)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        await pilot.press("tab", "space", "ctrl+r")  # the checkbox, then run
        await settle(pilot)
        planned = app.state.statuses[Path("incidents/orders-mystery.json")].diagnosis
        assert planned is not None and planned.path == "llm"
        planner_cf, _ = world.figures(planned)
        assert [r[:5] for r in rows(screen.query_one("#batch-table", DataTable))][1:3] == [
            ["orders-locks.json", "explained", cf, "✓", "Lock contention"],
            ["orders-mystery.json", "planner", planner_cf, "—", "Lock contention"],
        ]
        await pilot.press("i")  # the list shows the batch's planner conclusion too
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        assert [str(c) for c in table.get_row_at(2)] == [
            "orders-mystery.json",
            "planner",
            planner_cf,
            "Lock contention",
        ]


async def test_stop_keeps_what_was_done(root: Path) -> None:
    gate, reached = threading.Event(), threading.Event()

    def held(prompt: str) -> str:
        reached.set()
        gate.wait(10.0)
        return "lock_waits"

    app = world.app_in(root, [held])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        screen.query_one("#batch-path", Input).focus()
        await pilot.press("tab", "space", "ctrl+r")
        for _ in range(500):
            if reached.is_set():
                break
            await asyncio.sleep(0.01)
        try:
            assert reached.is_set()  # the third incident, orders-mystery, waits on the model
            await pilot.pause()
            bar = screen.query_one("#batch-progress", ProgressBar)
            assert (bar.total, bar.progress) == (4, 2)
            assert screen.check_action("stop", ()) is True and screen.check_action("run", ()) is None
            await pilot.press("c")
        finally:
            gate.set()
        await settle(pilot)
        assert (bar.total, bar.progress) == (4, 3)  # the one under way finishes; the last never starts
        assert str(screen.query_one("#batch-count", Label).render()) == "3/4 (stopped)"
        assert str(screen.query_one("#batch-summary", Static).render()).startswith("Stopped. 3 diagnosed: ")
        assert screen.check_action("stop", ()) is False
