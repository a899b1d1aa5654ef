"""The planner panel over the real planner (scripted model): steps as they run, cancel, no freeze."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from textual.widgets import DataTable, Label, Log, TabbedContent

from planner.backends.scripted import ScriptedModel
from tests.tui.conftest import settle
from tui.app.app import SleuthApp
from tui.app.core_services import CoreServices
from tui.app.screens.incident import IncidentScreen

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "lock_contention-01.json"


def rows(screen: IncidentScreen) -> list[list[str]]:
    table = screen.query_one("#plan-steps", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_real_investigation_reports_each_step_and_its_conclusion() -> None:
    app = SleuthApp(CoreServices(model_factory=lambda: ScriptedModel([])), EXAMPLE)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        await pilot.press("p")
        await settle(pilot)
        steps = rows(screen)
        assert steps, "the planner ran no step"
        assert [r[0] for r in steps] == [f"s{i}" for i in range(1, len(steps) + 1)]
        assert {r[3] for r in steps} <= {"done", "failed"}
        assert screen.diagnosis is not None
        status = str(screen.query_one("#planner-status", Label).render())
        assert status.startswith(("Concluded (", "Finished ("))
        # a model with no answers: the planner falls back to the graph and says so
        log = screen.query_one("#model-output", Log).lines
        assert any(line.startswith("! planner: scripted model has no answer queued") for line in log)


async def test_real_investigation_cancel_while_the_model_blocks() -> None:
    gate = threading.Event()
    called = threading.Event()

    def blocked(prompt: str) -> str:
        called.set()
        gate.wait(10.0)
        return "not an option"

    app = SleuthApp(CoreServices(model_factory=lambda: ScriptedModel([blocked])), EXAMPLE)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        await pilot.press("p")
        for _ in range(500):
            if called.is_set():
                break
            await asyncio.sleep(0.01)
        assert called.is_set()
        try:
            await pilot.press("m")
            await pilot.pause()
            assert screen.query_one("#incident-tabs", TabbedContent).active == "metrics"
            await pilot.press("c")
            await pilot.pause()
            assert str(screen.query_one("#planner-status", Label).render()) == "Cancelling…"
        finally:
            gate.set()
        await settle(pilot)
        assert str(screen.query_one("#planner-status", Label).render()) == "Cancelled."
        assert screen.investigation is None
