"""Shared fixtures: a fake-backed app over two incidents, one explained by rules and one not."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.fakes import FakeServices, lock_diagnosis, make_incident
from tui.app.app import SleuthApp

DEMO_ROOT = Path("demo/incidents")  # not on disk: the fake lists its in-memory incidents under it

PACK = """\
pack: mysql_locks
description: lock pressure on MySQL
rules:
  - id: lock_waits_up
    title: Row lock waits rise
    when:
      all:
        - signal: row_lock_waits
          ratio: {gt: 3}
    then:
      cause: lock_contention
    certainty: 0.8
    tests:
      - incident: ../incidents/locks.json
        expect: [lock_contention]
  - id: cpu_high
    title: CPU busy
    when:
      all:
        - signal: cpu_user
          anomaly: {gt: 80}
    then:
      cause: cpu_saturation
    certainty: 0.6
"""


def demo_services() -> FakeServices:
    return FakeServices(
        incidents={
            "orders-locks": make_incident("orders-locks", labels=["lock_contention"]),
            "orders-mystery": make_incident("orders-mystery"),
        },
        diagnoses={"orders-locks": lock_diagnosis("orders-locks")},
    )


@pytest.fixture
def services() -> FakeServices:
    return demo_services()


@pytest.fixture
def app(services: FakeServices) -> SleuthApp:
    return SleuthApp(services, DEMO_ROOT)


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    (directory / "mysql_locks.yaml").write_text(PACK, encoding="utf-8")
    return directory


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and their results land on screen."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
