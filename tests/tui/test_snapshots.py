"""Snapshots of every screen over the fake services, so layout regressions show up as an SVG diff.

Regenerate after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and review the SVGs in ``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.conftest import DEMO_ROOT, demo_services, settle
from tests.tui.fakes import FakeServices
from tui.app.app import SleuthApp

SIZE = (120, 36)
Snap = Callable[..., bool]


def app_with(services: FakeServices | None = None) -> SleuthApp:
    return SleuthApp(services or demo_services(), DEMO_ROOT)


def keys_then_settle(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


def test_incidents_screen(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle())


def test_incident_metrics(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("enter"))


def test_incident_diagnosis(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("enter", "d"))


def test_planner_after_investigation(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("down", "enter", "p"))


def test_knowledge_graph(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("g", "slash", *"lock"))


def test_rules_screen(snap_compare: Snap, rules_dir: Path) -> None:
    app = app_with(FakeServices(rules_dir=rules_dir))
    assert snap_compare(app, terminal_size=SIZE, run_before=keys_then_settle("r", "down"))


def test_batch_screen(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("b", "ctrl+b"))


def test_help_screen(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("question_mark"))


def test_light_theme(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("ctrl+t", "enter", "d"))


def test_why_not_picker(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("enter", "w", "i", "o"))


def test_why_not_answer(snap_compare: Snap) -> None:
    keys = ("enter", "w", *"io_sat", "enter")
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle(*keys))


def test_export_dialog(snap_compare: Snap) -> None:
    assert snap_compare(app_with(), terminal_size=SIZE, run_before=keys_then_settle("enter", "x"))
