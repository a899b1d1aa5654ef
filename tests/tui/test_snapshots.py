"""Every screen at 80×24 (the smallest terminal a DBA works in) and at 160×45, as SVG snapshots.

The app runs over the real world of ``tests/tui/world.py``. Regenerate after
an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and review the SVGs in ``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui import world
from tests.tui.conftest import settle

Snap = Callable[..., bool]
Run = Callable[[Pilot[Any]], Awaitable[None]]

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]


def keys(*pressed: str) -> Run:
    """Settle, then each key in turn, settling after each (``"type:text"`` types text)."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in pressed:
            if key.startswith("type:"):
                await pilot.press(*key.removeprefix("type:"))
            else:
                await pilot.press(key)
            await settle(pilot)

    return run


OPEN_LOCKS = ("down", "enter")  # the list is sorted: broken.json, orders-locks.json, …
OPEN_MYSTERY = ("down", "down", "enter")

SCREENS: dict[str, tuple[str, ...]] = {
    "incidents": (),
    "incidents_filtered": ("slash", "type:lock", "enter"),
    "incident_metrics": OPEN_LOCKS,
    "incident_diagnosis": (*OPEN_LOCKS, "d"),
    "evidence_in_full": (*OPEN_LOCKS, "d", "tab", "tab", "enter"),
    "cause_in_full": (*OPEN_LOCKS, "d", "enter"),
    "broken_incident": ("enter",),
    "incident_without_metrics": ("down", "down", "down", "enter"),
    "why_not_picker": (*OPEN_LOCKS, "w", "type:io"),
    "why_not_answer": (*OPEN_LOCKS, "w", "type:io_sat", "enter"),
    "export_dialog": (*OPEN_LOCKS, "x"),
    "export_error": (*OPEN_LOCKS, "x", "ctrl+u", "type:no/such/dir/report.md", "enter"),
    "verdict_dialog": (*OPEN_LOCKS, "d", "n"),
    "planner_concluded": (*OPEN_MYSTERY, "s"),
    "planner_conclusion_in_the_list": (*OPEN_MYSTERY, "s", "escape"),
    "graph_filtered": ("g", "type:lock", "enter"),
    "graph_remediation": ("g", "type:fix_lock", "enter", *["down"] * 9),
    "rules": ("r",),
    "rules_filtered": ("r", "slash", "type:cpu", "enter"),
    "batch_done": ("b", "enter"),
    "help": ("question_mark",),
    "light_theme": ("ctrl+t", *OPEN_LOCKS, "d"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare: Snap, root: Path, screen: str, size: tuple[int, int]) -> None:
    app = world.app_in(root, world.MYSTERY_ANSWERS)
    assert snap_compare(app, terminal_size=size, run_before=keys(*SCREENS[screen]))


@pytest.mark.parametrize("size", SIZES)
def test_broken_rule_file(snap_compare: Snap, root: Path, size: tuple[int, int]) -> None:
    """The list warns, the status line says which file and line, the rules screen lists the errors."""
    (root / "rules" / "locks.yaml").write_text(world.LOCKS_PACK.replace("certainty: 0.6", "certainty: 6"))
    app = world.app_in(root)
    assert snap_compare(app, terminal_size=size, run_before=keys())
