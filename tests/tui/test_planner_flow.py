"""The planner from the UI: steps and streamed text as they come, cancel, and no freeze while the model works."""

from __future__ import annotations

import asyncio
import threading

from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Log, TabbedContent

from tests.tui.conftest import DEMO_ROOT, demo_services, settle
from tui.app.app import SleuthApp
from tui.app.screens.incident import IncidentScreen


def steps(screen: IncidentScreen) -> list[list[str]]:
    table = screen.query_one("#plan-steps", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def status(screen: IncidentScreen) -> str:
    return str(screen.query_one("#planner-status", Label).render())


async def open_mystery(pilot: Pilot[None]) -> IncidentScreen:
    await settle(pilot)
    await pilot.press("down", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    return screen


async def wait_for(event: threading.Event) -> None:
    for _ in range(200):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the fake model was never called")


async def test_investigation_shows_plan_steps_and_streamed_output() -> None:
    app = SleuthApp(demo_services(), DEMO_ROOT)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        assert "No cause concluded (inconclusive)" in str(screen.query_one("#cause-title", Label).render())
        await pilot.press("p")
        await settle(pilot)
        assert screen.query_one("#incident-tabs", TabbedContent).active == "planner"
        assert steps(screen) == [
            ["s1", "lock_waits", "—", "done", "1 blocker, 12 waiters"],
            ["s2", "top_sql", "s1", "done", "UPDATE orders …"],
        ]
        assert screen.query_one("#model-output", Log).lines == ["Blocking session holds row locks."]
        assert status(screen) == "Concluded (llm): Lock contention at 0.86"
        # the planner's conclusion replaces the inconclusive diagnosis
        causes = screen.query_one("#causes", DataTable)
        assert [str(causes.get_row_at(0)[1]), str(causes.get_row_at(0)[4])] == ["Lock contention", "llm"]


async def test_cancel_stops_the_investigation_and_marks_unfinished_steps() -> None:
    gate = threading.Event()
    services = demo_services()
    services.model_gate = gate
    app = SleuthApp(services, DEMO_ROOT)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("p")
        await wait_for(services.model_started)
        await pilot.pause()
        assert steps(screen)[0][3] == "running"
        assert screen.check_action("cancel_investigation", ()) is True
        await pilot.press("c")
        await settle(pilot)
        assert status(screen) == "Cancelled."
        assert [row[3] for row in steps(screen)] == ["cancelled", "cancelled"]
        assert screen.query_one("#model-output", Log).lines == []  # the model never answered
        assert screen.investigation is None
        assert screen.check_action("cancel_investigation", ()) is False
        gate.set()


async def test_ui_answers_keys_while_the_model_call_blocks() -> None:
    gate = threading.Event()
    services = demo_services()
    services.model_gate = gate
    app = SleuthApp(services, DEMO_ROOT)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("p")
        await wait_for(services.model_started)
        tabs = screen.query_one("#incident-tabs", TabbedContent)
        assert tabs.active == "planner"
        try:
            await pilot.press("m")  # switch tab while the model is still blocked
            await pilot.pause()
            assert tabs.active == "metrics"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.theme == "textual-light"
            assert not gate.is_set() and screen.investigation is not None
        finally:
            gate.set()
        await settle(pilot)
        assert status(screen) == "Concluded (llm): Lock contention at 0.86"


async def test_leaving_the_screen_cancels_and_late_results_are_dropped() -> None:
    gate = threading.Event()
    services = demo_services()
    services.model_gate = gate
    app = SleuthApp(services, DEMO_ROOT)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("p")
        await wait_for(services.model_started)
        investigation = screen.investigation
        assert investigation is not None
        await pilot.press("escape")
        await pilot.pause()
        assert investigation.cancel.is_set()
        gate.set()
        await settle(pilot)
        assert app.is_running and app.screen.id == "incidents"
        assert app.return_code is None  # no worker error ended the app
