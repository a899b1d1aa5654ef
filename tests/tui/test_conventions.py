"""Keymap remapping by binding id, the command palette, help, the status line, and the theme toggle."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Markdown, Static

from tests.tui import world
from tests.tui.conftest import settle
from tui.app.app import SleuthApp, known_binding_ids
from tui.app.palette import SleuthCommands
from tui.app.screens.graph import GraphScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.rules import RulesScreen


def keymapped(root: Path, keymap: dict[str, str]) -> SleuthApp:
    return SleuthApp(world.service(root), Path("incidents"), keymap=keymap)


def test_every_binding_has_a_unique_sleuth_id() -> None:
    ids = known_binding_ids()
    assert all(i.startswith("sleuth.") for i in ids)
    assert {
        "sleuth.quit",
        "sleuth.graph",
        "sleuth.incident.why_not",
        "sleuth.incident.confirm",
        "sleuth.incident.reject",
        "sleuth.incident.planner",
        "sleuth.rules.reload",
        "sleuth.filter.clear",
    } <= ids


async def test_a_remapped_key_acts_the_old_one_does_not_and_a_typo_stays_on_the_status_line(
    root: Path,
) -> None:
    app = keymapped(root, {"sleuth.graph": "f2", "sleuth.nonexistent": "f9"})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert app.current_mode == "incidents"
        status = str(app.screen.query_one("#status-line", Static).render())
        assert status.endswith(" keymap: no binding with id sleuth.nonexistent")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, GraphScreen)


async def test_help_lists_keys_as_remapped_with_their_binding_ids(root: Path) -> None:
    app = keymapped(root, {"sleuth.batch": "f5"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = {row[2]: row[0] for row in help_screen.rows}
        assert rows["sleuth.batch"] == "f5"
        assert rows["sleuth.graph"] == "g"
        assert rows["sleuth.incidents.rediagnose"] == "^r"
        markdown = help_screen.query_one("#help-text", Markdown).source
        assert "| `f5` | Batch | `sleuth.batch` |" in markdown
        # the dialog fits an 80-column terminal
        body = help_screen.query_one(".help-body")
        assert body.region.x >= 0 and body.region.right <= 80
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_offers_places_actions_and_incidents_by_name(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        provider = SleuthCommands(app.screen)
        hits = [str(hit.text) async for hit in provider.search("mystery")]
        assert hits == ["Open incident orders-mystery.json"]
        found = [hit async for hit in provider.search("lint rules")]
        assert [str(h.text) for h in found] == ["Lint rules"]
        found[0].command()
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)


async def test_palette_opens_an_incident_from_the_keyboard(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"mystery.json")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert app.screen.ref.name == "orders-mystery.json"


async def test_theme_toggles_between_light_and_dark(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"
