"""The knowledge-graph explorer: cause → symptoms → metrics, checks, remediations, and the filter."""

from __future__ import annotations

from textual.widgets import Input, Label, Tree
from textual.widgets.tree import TreeNode

from tests.tui.conftest import settle
from tests.tui.fakes import kg
from tui.app.app import SleuthApp
from tui.app.screens.graph import filter_causes


def outline(node: TreeNode[str], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for child in node.children:
        lines.append("  " * depth + str(child.label))
        lines.extend(outline(child, depth + 1))
    return lines


def test_filter_matches_anywhere_in_a_cause_and_needs_every_word() -> None:
    causes = kg()
    assert [c.id for c in filter_causes(causes, "")] == ["lock_contention", "cpu_saturation", "missing_index"]
    assert [c.id for c in filter_causes(causes, "row_lock_waits")] == ["lock_contention"]
    assert [c.id for c in filter_causes(causes, "TOP_SQL")] == ["cpu_saturation"]
    assert [c.id for c in filter_causes(causes, "scale cpu_user")] == ["cpu_saturation"]
    assert filter_causes(causes, "scale lock") == []


async def test_graph_tree_and_search(app: SleuthApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        tree = app.screen.query_one("#graph-tree", Tree)
        assert [str(n.label) for n in tree.root.children] == [
            "Lock contention (lock_contention)",
            "CPU saturation (cpu_saturation)",
            "Missing index (missing_index)",
        ]
        await pilot.press("slash", *"blocking")
        await pilot.pause()
        assert app.screen.query_one("#graph-filter", Input).value == "blocking"
        assert str(app.screen.query_one("#graph-summary", Label).render()) == "1 of 3 causes"
        assert outline(tree.root) == [
            "Lock contention (lock_contention)",
            "  Symptoms (1)",
            "    Lock waits rise (lock_waits_up)",
            "      metric row_lock_waits ↑",
            "      metric lock_wait_time ↑",
            "  Checks (1)",
            "    Who blocks whom — lock_waits",
            "  Remediations (1)",
            "    [medium] End the blocking session",
        ]
        await pilot.press("escape")
        assert app.focused is tree
