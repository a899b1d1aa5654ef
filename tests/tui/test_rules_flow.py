"""Rules from the UI: packs, a rule's source and description, lint and tests, the filter, and live
reload that reaches every screen: the list is diagnosed again at once, a broken file is said everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.syntax import Syntax
from textual.pilot import Pilot
from textual.widgets import DataTable, Log, Static, Tree

from tests.tui import world
from tests.tui.conftest import settle
from tui.app.screens.rules import RulesScreen


def tree_lines(screen: RulesScreen) -> list[str]:
    tree = screen.query_one("#rules-tree", Tree)
    lines: list[str] = []
    for pack in tree.root.children:
        lines.append(str(pack.label))
        lines.extend("  " + str(rule.label) for rule in pack.children)
    return lines


def rendered(screen: object, selector: str) -> str:
    from textual.screen import Screen

    assert isinstance(screen, Screen)
    return str(screen.query_one(selector, Static).render())


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


async def test_rules_tree_source_description_lint_and_tests(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rules(pilot)
        assert tree_lines(screen) == [
            "pg_io (1)",
            "  pg_disk_reads_saturate → io_saturation 0.70",
            "locks (3)",
            "  lock_waits_pile_up → lock_contention 0.80",
            "  cpu_user_saturates → cpu_saturation 0.60",
            "  disk_reads_climb → io_saturation 0.70",
        ]
        assert rendered(screen, "#rules-summary") == "4 rules in 2 packs (generation 1)"
        await pilot.press("down", "down")
        await settle(pilot)
        assert screen.selected is not None and screen.selected.id == "lock_waits_pile_up"
        assert rendered(screen, "#rule-info").splitlines() == [
            "lock_waits_pile_up: Row lock waits pile up far above normal",
            "⇒ lock_contention at CF 0.80, salience 0; mysql; 1 inline tests (t runs them)",
            "rules/locks.yaml:5",
        ]
        source = screen.query_one("#rule-source", Static).content
        assert isinstance(source, Syntax)
        assert source.code == world.LOCKS_PACK and source.highlight_lines == {5}
        await pilot.press("t", "l")
        await settle(pilot)
        assert screen.query_one("#rules-output", Log).lines == [
            "$ sleuth rules test lock_waits_pile_up",
            "PASS orders-locks.json: ok",
            "1/1 passed",
            "$ sleuth rules lint",
            "lint: no problems",
        ]


async def test_filter_keeps_matching_rules_under_their_packs(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rules(pilot)
        await pilot.press("slash", *"io_sat", "enter")
        await settle(pilot)
        assert tree_lines(screen) == [
            "pg_io (1)",
            "  pg_disk_reads_saturate → io_saturation 0.70",
            "locks (1)",
            "  disk_reads_climb → io_saturation 0.70",
        ]
        assert app.focused is screen.query_one("#rules-tree")


async def test_a_reload_rediagnoses_the_list_and_a_broken_file_is_said_everywhere(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.app.app.RULES_POLL_SECONDS", 0.1)
    app = world.app_in(root)
    pack = root / "rules" / "locks.yaml"
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        assert [str(c) for c in table.get_row_at(2)][:2] == ["orders-mystery.json", "inconclusive"]

        # a lower threshold explains the mystery: the list shows it without ctrl+r
        lower = world.LOCKS_PACK.replace("direction: up, ratio: {gte: 3}", "ratio: {gte: 1.5}")
        touch_write(pack, lower, bump=5)
        await pilot.pause(0.5)
        await settle(pilot)
        assert [str(c) for c in table.get_row_at(2)] == [
            "orders-mystery.json",
            "explained",
            "0.52",
            "Lock contention",
        ]
        assert rendered(app.screen, "#status-line") == "rules gen 2: 4 in 2 packs"

        touch_write(pack, world.LOCKS_PACK.replace("certainty: 0.6", "certainty: 6"), bump=10)
        await pilot.pause(0.5)
        await settle(pilot)
        error = (
            "rules/locks.yaml:20:16 cpu_user_saturates: certainty: Input should be less than or equal to 1"
        )
        assert rendered(app.screen, "#incidents-summary").splitlines() == [
            "4 incidents: 2 error, 2 explained",
            "rule files are broken: gen 2 still decides (r shows the errors)",
        ]
        assert rendered(app.screen, "#status-line") == (
            f"rules gen 2: 4 in 2 packs · rule files broken, gen 2 still decides: {error}"
        )
        # the rules in force are the last good ones
        assert [str(c) for c in table.get_row_at(2)][:2] == ["orders-mystery.json", "explained"]
        screen = await open_rules(pilot)
        errors = screen.query_one("#rules-errors", Static)
        assert errors.display is True and str(errors.render()) == error
        assert rendered(screen, "#rules-summary") == (
            "4 rules in 2 packs (generation 2) — last reload failed; the previous rules stay in force"
        )

        touch_write(pack, world.LOCKS_PACK, bump=15)
        await pilot.pause(0.5)
        await settle(pilot)
        assert errors.display is False
        assert rendered(screen, "#rules-summary") == "4 rules in 2 packs (generation 3)"
        await pilot.press("i")
        await settle(pilot)
        assert [str(c) for c in table.get_row_at(2)][:2] == ["orders-mystery.json", "inconclusive"]


async def test_rule_files_that_never_loaded_leave_no_rules_and_say_so(root: Path) -> None:
    (root / "rules" / "locks.yaml").write_text(
        world.LOCKS_PACK.replace("then: {cause: lock_contention}", "then: {}")
    )
    app = world.app_in(root)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        summary = rendered(app.screen, "#incidents-summary").splitlines()
        assert summary[1] == "no rules in force: the rule files do not load (r shows the errors)"
        assert rendered(app.screen, "#status-line").startswith("no rules in force: rules/locks.yaml:")
