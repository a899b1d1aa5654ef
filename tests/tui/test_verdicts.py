"""The DBA's verdicts from the diagnosis screen: confirm or reject a cause (with a note), by key or
from the palette, kept in the real history, shown on the causes and used for similar incidents."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from tests.tui import world
from tests.tui.conftest import open_incident, settle
from tui.app.palette import SleuthCommands
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.verdict import VerdictDialog


def verdict_column(screen: IncidentScreen) -> list[str]:
    causes = screen.query_one("#causes", DataTable)
    return [str(causes.get_row_at(i)[4]) for i in range(causes.row_count)]


async def test_confirm_and_reject_are_recorded_and_shown(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_incident(pilot, 1)
        await pilot.press("y")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, VerdictDialog) and (dialog.verdict, dialog.cause) == (
            "confirmed",
            "lock_contention",
        )
        await pilot.press(*"blocker in app logs", "enter")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("down", "n", "enter")  # reject the second cause, no note
        await settle(pilot)
        assert verdict_column(screen) == ["✓ yes", "✗ no"]
        assert (
            str(screen.query_one("#cause-title", Static).render()).splitlines()[-1] == "you ✗ no (rejected)"
        )
        await pilot.press("up")
        await settle(pilot)
        assert str(screen.query_one("#cause-title", Static).render()).splitlines()[-1] == (
            "you ✓ yes (confirmed: blocker in app logs)"
        )
        entry = app.state.services.history.resolve("incidents/orders-locks.json")
        assert entry is not None
        assert (entry.source, entry.confirmed, entry.rejected) == (
            "tui",
            ("lock_contention",),
            ("cpu_saturation",),
        )
        assert entry.note == "blocker in app logs"

        await pilot.press("escape")
        await settle(pilot)
        reopened = await open_incident(pilot, 0)  # the cursor is still on orders-locks
        assert verdict_column(reopened) == ["✓ yes", "✗ no"]


async def test_escape_records_nothing(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_incident(pilot, 1)
        await pilot.press("n", *"oops", "escape")
        await settle(pilot)
        assert app.screen is screen and verdict_column(screen) == ["", ""]
        assert not app.state.services.history.available()


async def test_the_palette_offers_the_verdicts_of_the_screen_below(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_incident(pilot, 1)
        provider = SleuthCommands(screen)
        found = [hit async for hit in provider.search("confirm cause")]
        assert [str(h.text) for h in found] == ["Confirm cause"]
        assert found[0].help == "key y"
        found[0].command()
        await settle(pilot)
        assert isinstance(app.screen, VerdictDialog)
        app.screen.query_one("#verdict-note", Input).value = "from the palette"
        await pilot.press("enter")
        await settle(pilot)
        assert verdict_column(screen) == ["✓ yes", ""]


async def test_a_confirmed_incident_is_offered_as_similar_to_the_next_one(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_incident(pilot, 1)
        await pilot.press("y", "enter")
        await settle(pilot)
        again = root / "incidents" / "orders-again.json"
        shutil.copy(root / "incidents" / "orders-locks.json", again)
        again.write_text(again.read_text().replace('"orders-locks"', '"orders-again"'))
        await pilot.press("escape", "ctrl+r")
        await settle(pilot)
        await pilot.pause(1.2)  # the list's poll finds the new file
        await settle(pilot)
        screen = await open_incident(pilot, 0)
        assert screen.ref.name == "orders-again.json"
        about = str(screen.query_one("#about", Static).render()).splitlines()
        assert "similar past incidents (what the DBA confirmed):" in about
        similar = about[about.index("similar past incidents (what the DBA confirmed):") + 1]
        assert similar.startswith("  #1 orders-locks (similarity 1.00, recorded 20")
        assert similar.endswith("): lock_contention")
