"""Rules from the UI: the packs, a rule's source, lint and tests, and live reload that survives bad edits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.syntax import Syntax
from textual.pilot import Pilot
from textual.widgets import Label, Log, Static, Tree

from tests.tui.conftest import DEMO_ROOT, PACK, settle
from tests.tui.fakes import FakeServices, make_incident
from tui.app.app import SleuthApp
from tui.app.screens.rules import RulesScreen


def tree_lines(screen: RulesScreen) -> list[str]:
    tree = screen.query_one("#rules-tree", Tree)
    lines: list[str] = []
    for pack in tree.root.children:
        lines.append(str(pack.label))
        lines.extend("  " + str(rule.label) for rule in pack.children)
    return lines


def touch_write(path: Path, text: str, bump: int) -> None:
    """Write and move the mtime forward, so the poll sees a change even within one clock tick."""
    path.write_text(text, encoding="utf-8")
    stamp = path.stat().st_mtime + bump
    os.utime(path, (stamp, stamp))


async def open_rules(pilot: Pilot[None]) -> RulesScreen:
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RulesScreen)
    return screen


async def test_rules_tree_source_lint_and_tests(rules_dir: Path) -> None:
    app = SleuthApp(FakeServices(rules_dir=rules_dir), DEMO_ROOT)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rules(pilot)
        assert tree_lines(screen) == [
            "mysql_locks (2)",
            "  lock_waits_up → lock_contention 0.80",
            "  cpu_high → cpu_saturation 0.60",
        ]
        assert str(screen.query_one("#rules-summary", Label).render()) == "2 rules in 1 packs (generation 1)"
        assert screen.selected is not None and screen.selected.id == "lock_waits_up"
        await pilot.press("down")
        await settle(pilot)
        assert screen.selected is not None and screen.selected.id == "cpu_high"
        source = screen.query_one("#rule-source", Static).content
        assert isinstance(source, Syntax)
        assert source.code == PACK and source.highlight_lines == {16}
        await pilot.press("up")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert screen.query_one("#rules-output", Log).lines == [
            "$ sleuth rules test lock_waits_up",
            "PASS ../incidents/locks.json: ok",
            "1/1 passed",
            "$ sleuth rules lint",
            "lint: no problems",
        ]


async def test_edit_on_disk_reloads_and_a_broken_edit_keeps_the_old_rules(
    rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.app.screens.rules.POLL_SECONDS", 0.1)
    services = FakeServices(rules_dir=rules_dir)
    app = SleuthApp(services, DEMO_ROOT)
    pack_file = rules_dir / "mysql_locks.yaml"
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rules(pilot)
        errors = screen.query_one("#rules-errors", Static)
        assert errors.display is False

        touch_write(pack_file, PACK.replace("certainty: 0.6", "certainty: 0.7"), bump=5)
        await pilot.pause(0.4)
        await settle(pilot)
        assert tree_lines(screen)[2] == "  cpu_high → cpu_saturation 0.70"
        assert str(screen.query_one("#rules-summary", Label).render()) == "2 rules in 1 packs (generation 2)"

        touch_write(pack_file, PACK.replace("certainty: 0.6", "certainty: 7"), bump=10)
        await pilot.pause(0.4)
        await settle(pilot)
        assert errors.display is True
        assert str(errors.render()) == (
            "mysql_locks.yaml: rules.1.certainty: Input should be less than or equal to 1"
        )
        assert str(screen.query_one("#rules-summary", Label).render()) == (
            "2 rules in 1 packs (generation 2) — last reload failed; the previous rules stay in force"
        )
        # the rules in force are still the last good ones
        assert tree_lines(screen)[2] == "  cpu_high → cpu_saturation 0.70"
        in_force = services.rules().find("cpu_high")
        assert in_force is not None and in_force.certainty == 0.7

        touch_write(pack_file, PACK, bump=15)
        await pilot.pause(0.4)
        await settle(pilot)
        assert errors.display is False
        assert tree_lines(screen)[2] == "  cpu_high → cpu_saturation 0.60"


async def test_incidents_are_diagnosed_again_after_a_rules_reload(rules_dir: Path) -> None:
    services = FakeServices(
        incidents={"a": make_incident("a"), "b": make_incident("b")},
        rules_dir=rules_dir,
    )
    app = SleuthApp(services, DEMO_ROOT)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert services.diagnose_calls == ["a", "b"]
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("i")  # nothing changed: nothing to do
        await settle(pilot)
        assert services.diagnose_calls == ["a", "b"]
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+r")  # reload (the fake bumps the generation on every good load)
        await settle(pilot)
        assert app.state.rules_epoch == 1
        await pilot.press("i")
        await settle(pilot)
        assert services.diagnose_calls == ["a", "b", "a", "b"]
        assert {s.rules_epoch for s in app.state.statuses.values()} == {1}
