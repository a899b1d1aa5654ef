"""The fleet screen over real watchers fed recorded samples of the lab's servers: one in an incident,
one watching, one unreachable, one not yet connected; drill-down, filter, keys, and snapshots."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from lab.replay import read_recording, restamped
from sleuth import Sleuth, load_settings
from sleuth.watch import ServerStatus, ServerWatch, Target, Tuning
from sources.live.errors import CollectError
from sources.live.sample import Collector
from tests.tui import world
from tests.tui.conftest import settle
from tests.watch import RECORDINGS
from tui.app.app import SleuthApp, known_binding_ids
from tui.app.screens.fleet import FleetScreen, sparkline
from tui.app.screens.incident import IncidentScreen

START = 1_800_000_000.0
TUNING = Tuning(interval_s=1.0, view_s=60.0, settle_s=0.0, rediagnose_s=10.0, planner="never")
Snap = Callable[..., bool]


class RecordedFleet:
    """Real watchers, fed recorded samples up to a moment; the screen's clock stands at that moment."""

    def __init__(self, watches: list[ServerWatch], now: float) -> None:
        self.watches = watches
        self._now = now

    def statuses(self) -> list[ServerStatus]:
        return [w.status() for w in self.watches]

    def now(self) -> float:
        return self._now


def _refused(_target: Target) -> Collector:
    raise CollectError("cannot connect to postgresql://monitor:***@10.0.0.9:5432/app: connection refused")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedFleet]:
    tmp = tmp_path_factory.mktemp("fleet")
    app = Sleuth(load_settings(history={"url": f"sqlite:///{tmp / 'history.sqlite'}"}))
    spool = app.watch_spool(incidents=tmp / "incidents", state=tmp / "state")
    locks = read_recording(RECORDINGS / "lock_contention-postgres.jsonl.gz")
    scans = read_recording(RECORDINGS / "missing_index-mariadb.jsonl.gz")

    def watch(name: str, tags: tuple[str, ...]) -> ServerWatch:
        return ServerWatch(
            Target(name, "postgresql://m@127.0.0.1:1/r", tags, TUNING), app, spool, lambda _e: None
        )

    orders, billing = watch("orders-pg", ("prod", "eu")), watch("billing-maria", ("prod",))
    for target, recording, upto in ((orders, locks, 132), (billing, scans, 90)):
        target.assume(recording.info)
        for sample in restamped(recording.samples[60:upto], START + 60, 1.0):
            target.observe(sample)
    down = ServerWatch(
        Target("reports-pg", "postgresql://m@10.0.0.9:5432/app", ("batch",), TUNING),
        app,
        spool,
        lambda _e: None,
        collector_factory=_refused,
    )
    stop = threading.Event()
    retrying = threading.Thread(target=down.run, args=(stop,), daemon=True)
    retrying.start()  # refused, said once, then retried with a growing delay until the module ends
    for _ in range(100):
        if down.status().state == "unreachable":
            break
        stop.wait(0.05)
    fresh = watch("audit-pg", ())
    yield RecordedFleet([orders, billing, down, fresh], now=START + 132 + 1.5)
    stop.set()
    retrying.join(10)
    app.history.close()


def app_with(root: Path, fleet: RecordedFleet | None) -> SleuthApp:
    return SleuthApp(world.service(root), Path("incidents"), fleet=fleet)


def table_rows(app: SleuthApp) -> list[list[str]]:
    table = app.screen.query_one("#fleet-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_fleet_screen_shows_each_server_state_age_and_open_incident(
    root: Path, fleet: RecordedFleet
) -> None:
    app = app_with(root, fleet)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen)
        rows = table_rows(app)
        assert [r[:4] for r in rows] == [
            ["orders-pg", "incident", "2.5 s", "0.98 lock_contention"],
            ["billing-maria", "watching", "44.5 s", ""],
            [
                "reports-pg",
                "unreachable",
                "—",
                "cannot connect to postgresql://monitor:***@10.0.0.9:5432/app: connection refused",
            ],
            ["audit-pg", "connecting", "—", ""],
        ]
        summary = str(app.screen.query_one("#fleet-summary", Static).render())
        assert summary == "4 servers: 1 connecting, 1 incident, 1 unreachable, 1 watching"
        detail = str(app.screen.query_one("#fleet-detail", Static).render())
        assert detail.splitlines()[0] == "orders-pg  [prod, eu]  postgres · 72 samples · last 2.5 s ago"
        assert detail.splitlines()[1].startswith("incident watch-orders-pg-")


async def test_enter_opens_the_servers_incident_file_and_a_quiet_server_says_so(
    root: Path, fleet: RecordedFleet
) -> None:
    app = app_with(root, fleet)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert str(app.screen.ref.path) == fleet.watches[0].status().path
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen)
        assert app.problem.endswith("Fleet: billing-maria: no incident yet")


async def test_the_filter_keeps_the_servers_whose_name_state_cause_or_tag_match(
    root: Path, fleet: RecordedFleet
) -> None:
    app = app_with(root, fleet)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"prod", "enter")
        await settle(pilot)
        assert [r[0] for r in table_rows(app)] == ["orders-pg", "billing-maria"]
        await pilot.press("slash", "ctrl+u", *"lock_contention", "enter")
        await settle(pilot)
        assert [r[0] for r in table_rows(app)] == ["orders-pg"]


async def test_without_a_fleet_the_screen_says_how_to_start_one(root: Path) -> None:
    app = app_with(root, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen)
        assert str(app.screen.query_one("#fleet-summary", Static).render()) == (
            "no fleet is watched: start with `sleuth tui --fleet FLEET.yaml`"
        )


def test_the_fleet_keys_have_ids_a_keymap_can_name() -> None:
    assert {"sleuth.fleet", "sleuth.fleet.filter"} <= known_binding_ids()


def test_sparklines_scale_between_their_own_extremes() -> None:
    assert sparkline([1.0, 2.0, 3.0]) == "▁▅█"
    assert sparkline([5.0, 5.0]) == "▁▁"
    assert sparkline([]) == ""
    assert sparkline([float(i) for i in range(40)], width=4) == "▁▃▆█"


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")])
def test_fleet_snapshot(snap_compare: Snap, root: Path, fleet: RecordedFleet, size: tuple[int, int]) -> None:
    async def run(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(app_with(root, fleet), terminal_size=size, run_before=run)
