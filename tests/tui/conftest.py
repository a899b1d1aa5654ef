"""Shared fixtures: a real world (incident files, rule packs, the fixture graph) to run the app in.

Wall clocks are shown in the local time zone; the tests pin it to UTC so the
snapshots and the expected strings read the same on every machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from tests.tui import world
from tui.app.screens.incident import IncidentScreen


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The world built in a tmp directory, which is the working directory for the test."""
    world.build(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and their results land on screen (an exclusive worker replaced meanwhile is
    cancelled, which is no failure)."""
    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_incident(pilot: Pilot[None], row: int) -> IncidentScreen:
    """Open the incident on ``row`` of the list (sorted: broken, orders-locks, orders-mystery, …)."""
    await settle(pilot)
    await pilot.press(*["down"] * row, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    return screen
