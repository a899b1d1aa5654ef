"""The planner from the UI, over the real planner and the scripted model: the plan before it runs,
the phase it is in, cancel, no freeze while the model works, and a conclusion that stays.

A test may hold the model (an answer that waits on an event) or the tools (the
real registry with each tool waiting at a gate) to look at the screen mid-run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Log, TabbedContent

from models import PlanStep, ToolResult
from planner.tools.base import ToolContext, ToolRegistry
from planner.tools.registry import default_registry
from tests.tui import world
from tests.tui.conftest import settle
from tui.app.investigation import StepUpdate
from tui.app.screens.batch import BatchScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.incidents import IncidentsScreen
from tui.app.widgets.planner_view import PlannerView

Answer = str | Callable[[str], str]


def steps(screen: IncidentScreen) -> list[list[str]]:
    table = screen.query_one("#plan-steps", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def status(screen: IncidentScreen) -> str:
    return str(screen.query_one("#planner-status", Label).render())


def model_output(screen: IncidentScreen) -> list[str]:
    return [line for line in screen.query_one("#model-output", Log).lines if line]


async def open_mystery(pilot: Pilot[None]) -> IncidentScreen:
    await settle(pilot)
    await pilot.press("down", "down", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen) and screen.ref.name == "orders-mystery.json"
    return screen


async def wait_for(event: threading.Event) -> None:
    for _ in range(500):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the investigation never got there")


def held(gate: threading.Event, reached: threading.Event, then: str) -> Callable[[str], str]:
    """A model answer that waits for the test to open ``gate`` (never longer than 10 s)."""

    def answer(prompt: str) -> str:
        reached.set()
        gate.wait(10.0)
        return then

    return answer


async def test_investigation_concludes_and_the_conclusion_stays_everywhere(root: Path) -> None:
    app = world.app_in(root, world.MYSTERY_ANSWERS)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("d")
        assert str(screen.query_one("#cause-title").render()).startswith("No cause concluded (inconclusive).")
        await pilot.press("s")
        await settle(pilot)
        assert screen.query_one("#incident-tabs", TabbedContent).active == "planner"
        assert [r[:4] for r in steps(screen)] == [
            ["s1", "done", "lock_waits", "—"],
            ["s2", "done", "compare_window", "—"],
            ["s3", "done", "top_sql", "—"],
            ["s4", "done", "correlated_metrics", "s2"],
        ]
        assert screen.diagnosis is not None and screen.diagnosis.path == "llm"
        cf, score = world.figures(screen.diagnosis)
        assert model_output(screen) == [
            "plan: chose lock_waits (of 3)",
            "plan: chose compare_window_cpu_user (of 2)",
            "reflect: chose lock_contention (of 4)",
            f"⇒ concluded Lock contention at {cf}, by the planner",
        ]
        assert status(screen) == f"Concluded: Lock contention at {cf}, by the planner. The list shows it too."
        causes = screen.query_one("#causes", DataTable)
        assert [str(c) for c in causes.get_row_at(0)] == ["1", cf, score, "planner", "", "Lock contention"]

        await pilot.press("escape")
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, IncidentsScreen)
        table = listing.query_one("#incidents-table", DataTable)
        assert [str(c) for c in table.get_row_at(2)] == [
            "orders-mystery.json",
            "planner",
            cf,
            "Lock contention",
        ]

        await pilot.press("enter")  # reopened: the planner's answer, not the rules' "inconclusive"
        await settle(pilot)
        reopened = app.screen
        assert isinstance(reopened, IncidentScreen) and reopened.diagnosis is not None
        assert (reopened.diagnosis.path, reopened.diagnosis.causes[0].cause) == ("llm", "lock_contention")

        await pilot.press("b")
        await settle(pilot)
        await pilot.press("enter")  # the batch diagnoses with the rules; the planner's conclusion is kept
        await settle(pilot)
        batch = app.screen
        assert isinstance(batch, BatchScreen)
        rows = batch.query_one("#batch-table", DataTable)
        assert [str(c) for c in rows.get_row_at(2)][:5] == [
            "orders-mystery.json",
            "planner",
            cf,
            "—",
            "Lock contention",
        ]


async def test_status_says_the_model_reflects_once_the_steps_are_done(root: Path) -> None:
    gate, reached = threading.Event(), threading.Event()
    answers: list[Answer] = [*world.MYSTERY_ANSWERS[:2], held(gate, reached, "lock_contention")]
    app = world.app_in(root, answers)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("s")
        try:
            await wait_for(reached)
            await pilot.pause(0.1)
            assert {r[1] for r in steps(screen)} == {"done"}
            assert (
                status(screen) == "Steps finished: the rules run on what they found, then the model reflects…"
            )
            # the UI answers while the model holds the investigation
            await pilot.press("m")
            await pilot.pause()
            assert screen.query_one("#incident-tabs", TabbedContent).active == "metrics"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.theme == "textual-light"
        finally:
            gate.set()
        await settle(pilot)
        assert status(screen).startswith("Concluded: Lock contention")


async def test_cancel_while_the_model_is_busy(root: Path) -> None:
    gate, reached = threading.Event(), threading.Event()
    app = world.app_in(root, [held(gate, reached, "lock_waits")])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("s")
        try:
            await wait_for(reached)
            await pilot.pause()
            assert status(screen) == "Planning: the model chooses the checks to run…"
            assert screen.check_action("cancel_investigation", ()) is True
            await pilot.press("c")
            await pilot.pause()
            assert status(screen) == "Cancelling… (the model stops at its next token or step)"
        finally:
            gate.set()
        await settle(pilot)
        assert status(screen) == "Cancelled. Press s to start again."
        assert model_output(screen)[-1] == "— cancelled: nothing was concluded"
        assert screen.investigation is None
        assert screen.check_action("cancel_investigation", ()) is False
        assert screen.check_action("investigate", ()) is True
        # a cancelled run changes nothing in the list
        await pilot.press("escape")
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        assert str(table.get_row_at(2)[1]) == "inconclusive"


class GatedRegistry(ToolRegistry):
    """The real tools, each waiting for ``gate`` before it runs, so a test can look at the pane mid-run."""

    def __init__(self, gate: threading.Event, started: threading.Event) -> None:
        super().__init__()
        inner = default_registry()
        for name in inner.names():
            self.register(inner.get(name))
        self.gate = gate
        self.started = started

    def run(self, step: PlanStep, ctx: ToolContext) -> ToolResult:
        self.started.set()
        self.gate.wait(10.0)
        return super().run(step, ctx)


async def test_the_plan_is_on_screen_before_its_first_step_runs(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, started = threading.Event(), threading.Event()
    monkeypatch.setattr("planner.triage.default_registry", lambda: GatedRegistry(gate, started))
    before_first_run: list[list[list[str]]] = []
    update_step = PlannerView.update_step

    def spy(view: PlannerView, update: StepUpdate) -> None:
        if update.state == "running" and not before_first_run:
            table = view.query_one("#plan-steps", DataTable)
            before_first_run.append([[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)])
        update_step(view, update)

    monkeypatch.setattr(PlannerView, "update_step", spy)
    app = world.app_in(root, world.MYSTERY_ANSWERS)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("s")
        try:
            await wait_for(started)
            await pilot.pause()
            mid_run = steps(screen)
            phase = status(screen)
        finally:
            gate.set()
        await settle(pilot)
    assert before_first_run == [
        [
            ["s1", "pending", "lock_waits", "—", ""],
            ["s2", "pending", "compare_window", "—", ""],
            ["s3", "pending", "top_sql", "—", ""],
            ["s4", "pending", "correlated_metrics", "s2", ""],
        ]
    ]
    # while the first layer is held at the gate, what depends on it has not started
    assert [r[1] for r in mid_run] == ["running", "running", "running", "pending"]
    assert phase == "Running 4 steps: 0 finished. Press c to cancel."


async def test_cancel_while_steps_run_shows_the_planners_cancelled_states(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, started = threading.Event(), threading.Event()
    monkeypatch.setattr("planner.triage.default_registry", lambda: GatedRegistry(gate, started))
    app = world.app_in(root, world.MYSTERY_ANSWERS)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("s")
        try:
            await wait_for(started)
            await pilot.press("c")
            for _ in range(500):  # the executor abandons the held steps without the gate opening
                if screen.investigation is None:
                    break
                await asyncio.sleep(0.01)
            await pilot.pause()
            final = steps(screen)
        finally:
            gate.set()
        await settle(pilot)
    assert {r[1] for r in final} == {"cancelled"}
    assert all(r[4].endswith("cancelled by the caller") for r in final)


async def test_leaving_the_screen_cancels_and_late_results_are_dropped(root: Path) -> None:
    gate, reached = threading.Event(), threading.Event()
    app = world.app_in(root, [held(gate, reached, "lock_waits")])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mystery(pilot)
        await pilot.press("s")
        await wait_for(reached)
        investigation = screen.investigation
        assert investigation is not None
        await pilot.press("escape")
        await pilot.pause()
        assert investigation.is_set()
        gate.set()
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, IncidentsScreen)
        assert app.return_code is None  # no worker error ended the app
