"""The planner panel over the real planner (scripted model): steps as they run, cancel, no freeze."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Log, TabbedContent

from models import PlanStep, ToolResult
from planner.backends.scripted import ScriptedModel
from planner.tools.base import ToolContext, ToolRegistry
from planner.tools.registry import default_registry
from tests.tui.conftest import settle
from tui.app.app import SleuthApp
from tui.app.core_services import CoreServices
from tui.app.screens.incident import IncidentScreen
from tui.app.services import StepUpdate
from tui.app.widgets.planner_view import PlannerView

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "lock_contention-01.json"


def rows(node: DOMNode) -> list[list[str]]:
    table = node.query_one("#plan-steps", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_example(pilot: Pilot[None]) -> IncidentScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    return screen


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


async def test_every_planned_step_is_pending_before_the_first_one_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate, started = threading.Event(), threading.Event()
    monkeypatch.setattr("planner.triage.default_registry", lambda: GatedRegistry(gate, started))
    # what the pane held when the first "running" report arrived (reports land in order)
    before_first_run: list[list[list[str]]] = []
    update_step = PlannerView.update_step

    def spy(view: PlannerView, update: StepUpdate) -> None:
        if update.state == "running" and not before_first_run:
            before_first_run.append(rows(view))
        update_step(view, update)

    monkeypatch.setattr(PlannerView, "update_step", spy)
    app = SleuthApp(CoreServices(model_factory=lambda: ScriptedModel([])), EXAMPLE)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_example(pilot)
        await pilot.press("p")
        try:
            for _ in range(500):
                if started.is_set():
                    break
                await asyncio.sleep(0.01)
            assert started.is_set()
            await pilot.pause()
            mid_run = rows(screen)
        finally:
            gate.set()
        await settle(pilot)
        final = rows(screen)
    assert len(final) >= 2
    plan = [(r[0], r[1], r[2]) for r in final]
    assert before_first_run == [[[*step, "pending", ""] for step in plan]]
    # while the first layer is held at the gate, nothing that depends on it has started
    assert [(r[0], r[1], r[2]) for r in mid_run] == plan
    assert "running" in {r[3] for r in mid_run}
    assert all(r[3] == "pending" for r in mid_run if r[2] != "—")
    assert {r[3] for r in final} <= {"done", "failed"}


async def test_streamed_model_text_reaches_the_pane_in_pieces(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "sleuth.toml"
    config.write_text('[planner]\nstrategy = "json"\nplan_size = 2\n', encoding="utf-8")
    monkeypatch.setenv("SLEUTH_CONFIG", str(config))
    chunks: list[str] = []
    append_text = PlannerView.append_text

    def spy(view: PlannerView, chunk: str) -> None:
        chunks.append(chunk)
        append_text(view, chunk)

    monkeypatch.setattr(PlannerView, "append_text", spy)
    answers: list[str | Callable[[str], str]] = [
        "not a plan at all",
        "still no plan",
        '{"cause": "inconclusive", "certainty": "low", "refs": []}',
    ]
    app = SleuthApp(CoreServices(model_factory=lambda: ScriptedModel(answers)), EXAMPLE)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_example(pilot)
        await pilot.press("p")
        await settle(pilot)
        log = screen.query_one("#model-output", Log).lines
    # each completion arrives word by word and its line is ended when the call returns
    assert chunks[:10] == [
        "not ",
        "a ",
        "plan ",
        "at ",
        "all",
        "\n",
        "still ",
        "no ",
        "plan",
        "\n",
    ]
    assert log[:3] == [
        "not a plan at all",
        "still no plan",
        '{"cause": "inconclusive", "certainty": "low", "refs": []}',
    ]


async def test_cancel_while_steps_run_shows_the_planners_cancelled_states(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate, started = threading.Event(), threading.Event()
    monkeypatch.setattr("planner.triage.default_registry", lambda: GatedRegistry(gate, started))
    app = SleuthApp(CoreServices(model_factory=lambda: ScriptedModel([])), EXAMPLE)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_example(pilot)
        await pilot.press("p")
        try:
            for _ in range(500):
                if started.is_set():
                    break
                await asyncio.sleep(0.01)
            assert started.is_set()
            await pilot.press("c")
            for _ in range(500):  # the worker ends without the gate opening: the executor abandons the steps
                if screen.investigation is None:
                    break
                await asyncio.sleep(0.01)
            await pilot.pause()
            final = rows(screen)
            status = str(screen.query_one("#planner-status", Label).render())
        finally:
            gate.set()
        await settle(pilot)
    assert status == "Cancelled."
    assert len(final) >= 2
    # the states and reasons are the executor's own reports, not the screen's clean-up
    assert {r[3] for r in final} == {"cancelled"}
    assert all(r[4].endswith("cancelled by the caller") for r in final)
