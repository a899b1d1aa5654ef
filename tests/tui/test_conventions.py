"""Keymap remapping by binding id, the command palette's own commands, help, and theme toggle."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Markdown

from tests.tui.conftest import DEMO_ROOT, demo_services, settle
from tui.app.app import SleuthApp, known_binding_ids
from tui.app.commands import SleuthCommands
from tui.app.keymap import KeymapError, load_keymap, parse_keymap
from tui.app.screens.graph import GraphScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.screens.rules import RulesScreen


def test_parse_keymap_reads_the_keymap_table() -> None:
    text = '[keymap]\n"sleuth.quit" = "ctrl+q"\n"sleuth.graph" = " f2,G "\n'
    assert parse_keymap(text, "k.toml") == {"sleuth.quit": "ctrl+q", "sleuth.graph": "f2,G"}
    assert parse_keymap("", "k.toml") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[keymap\n", "k.toml: not valid TOML: "),
        ('keymap = "x"\n', "k.toml: [keymap] must be a table"),
        ('[keymap]\n"sleuth.quit" = 3\n', "k.toml: keymap.sleuth.quit must be a non-empty key string"),
        ('[keymap]\n"sleuth.quit" = ""\n', "k.toml: keymap.sleuth.quit must be a non-empty key string"),
    ],
)
def test_parse_keymap_rejects_bad_files_with_the_file_name(text: str, message: str) -> None:
    with pytest.raises(KeymapError) as info:
        parse_keymap(text, "k.toml")
    assert str(info.value).startswith(message)


def test_load_keymap_default_missing_is_empty_explicit_missing_is_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_keymap(None) == {}
    (tmp_path / "sleuth").mkdir()
    (tmp_path / "sleuth" / "keymap.toml").write_text('[keymap]\n"sleuth.batch" = "f5"\n')
    assert load_keymap(None) == {"sleuth.batch": "f5"}
    with pytest.raises(KeymapError, match=r"nope\.toml: no such file"):
        load_keymap(tmp_path / "nope.toml")


def test_every_binding_has_a_unique_sleuth_id() -> None:
    ids = known_binding_ids()
    assert all(i.startswith("sleuth.") for i in ids)
    assert {"sleuth.quit", "sleuth.graph", "sleuth.incident.why_not", "sleuth.rules.reload"} <= ids


async def test_remapped_key_drives_the_action_and_the_old_key_does_not() -> None:
    app = SleuthApp(demo_services(), DEMO_ROOT, keymap={"sleuth.graph": "f2", "sleuth.nonexistent": "f9"})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert app.current_mode == "incidents"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, GraphScreen)
        assert [n.message for n in app._notifications] == ["keymap: no binding with id sleuth.nonexistent"]


async def test_help_lists_keys_as_remapped_with_their_binding_ids() -> None:
    app = SleuthApp(demo_services(), DEMO_ROOT, keymap={"sleuth.batch": "f5"})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {row[2]: row[0] for row in app.screen.rows}
        assert rows["sleuth.batch"] == "f5"
        assert rows["sleuth.graph"] == "g"
        assert rows["sleuth.incidents.rediagnose"] == "^r"
        markdown = app.screen.query_one("#help-text", Markdown).source
        assert "| `f5` | Batch | `sleuth.batch` |" in markdown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_offers_sleuth_commands_and_incidents_by_name(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        provider = SleuthCommands(app.screen)
        hits = [str(hit.text) async for hit in provider.search("mystery")]
        assert hits == ["Open incident orders-mystery.json"]
        found = [hit async for hit in provider.search("reload rules")]
        assert [h.text for h in found] == ["Reload rules"]
        found[0].command()
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)


async def test_palette_opens_an_incident_from_the_keyboard(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"locks.json")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert app.screen.ref.name == "orders-locks.json"


async def test_theme_toggles_between_light_and_dark(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"
