"""The knowledge-graph explorer over the core fixture graph: the tree, the filter (vendor names too),
and a node shown in full beside the tree."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from sleuth import KgCause, KgCheck, KgMetric, KgSymptom
from tests.tui import world
from tests.tui.conftest import settle
from tui.app.screens.graph import GraphScreen, filter_causes, node_text, vendor_names

CAUSES = [
    KgCause(
        "lock_contention",
        "Lock contention",
        (KgSymptom("lock_waits_high", "Lock waits up", (KgMetric("row_lock_waits", "up"),)),),
        (KgCheck("lock_waits", "Lock waits", "lock_waits"),),
    ),
    KgCause(
        "cpu_saturation",
        "CPU saturation",
        (KgSymptom("cpu_high", "User CPU up", (KgMetric("cpu_user", "up"),)),),
    ),
]


def outline(node: TreeNode[object], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for child in node.children:
        lines.append("  " * depth + str(child.label))
        lines.extend(outline(child, depth + 1))
    return lines


def test_filter_needs_every_word_somewhere_in_the_subtree_or_its_graph_name() -> None:
    assert [c.id for c in filter_causes(CAUSES, "")] == ["lock_contention", "cpu_saturation"]
    assert [c.id for c in filter_causes(CAUSES, "ROW_LOCK")] == ["lock_contention"]
    assert [c.id for c in filter_causes(CAUSES, "user cpu")] == ["cpu_saturation"]
    assert filter_causes(CAUSES, "lock cpu_user") == []
    # a vendor name counts as the graph's name for it
    assert [
        c.id
        for c in filter_causes(CAUSES, "innodb_row_lock_waits", {"innodb_row_lock_waits": {"row_lock_waits"}})
    ] == ["lock_contention"]


def test_part_of_a_vendor_name_stands_for_the_metrics_it_names() -> None:
    table = {
        "pg_locks.waiting": "lock_waits_current",
        "pg_locks_count": "locks_held",
        "innodb_row_lock_waits": "row_lock_waits",
        "combined avg latency": "latency",
        "row_lock_waits": "row_lock_waits",  # the graph's own names are in the table too
    }
    assert vendor_names("pg_locks", table) == {"pg_locks": {"lock_waits_current", "locks_held"}}
    assert vendor_names("Combined Avg Latency", table) == {
        "combined": {"latency"},
        "avg": {"latency"},
        "combined avg latency": {"latency"},
    }
    assert vendor_names("row_lock_waits", table) == {}  # the graph's own name needs no alias
    assert vendor_names("lock", table) == {"lock": {"lock_waits_current", "locks_held", "row_lock_waits"}}
    waits = KgCause(
        "lock_contention", "Lock contention", (KgSymptom("s", "s", (KgMetric("lock_waits_current", "up"),)),)
    )
    assert filter_causes([waits, CAUSES[1]], "pg_locks", vendor_names("pg_locks", table)) == [waits]


async def test_tree_filter_and_node_detail(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        tree = screen.query_one("#graph-tree", Tree)
        assert [str(n.label) for n in tree.root.children] == [
            "CPU saturation (cpu_saturation)",
            "IO saturation (io_saturation)",
            "Lock contention (lock_contention)",
            "Missing index (missing_index)",
            "Workload spike (workload_spike)",
        ]
        await pilot.press(*"lock waits")
        await settle(pilot)
        assert str(screen.query_one("#graph-summary", Static).render()) == "1 of 5 causes"
        assert outline(tree.root) == [
            "Lock contention (lock_contention)",
            "  Symptoms (2)",
            "    Latency up (latency_high)",
            "      metric latency ↑",
            "    Lock waits up (lock_waits_high)",
            "      metric row_lock_waits ↑",
            "  Checks (1)",
            "    Lock waits — lock_waits",
            "  Remediations (1)",
            "    [low] Fix lock_contention",
        ]
        await pilot.press("enter", *["down"] * 9)
        await settle(pilot)
        assert app.focused is tree
        assert str(screen.query_one("#graph-node", Static).render()).splitlines() == [
            "Fix lock_contention (fix_lock_contention)",
            "low risk",
        ]


async def test_vendor_metric_names_find_what_the_graph_calls_them(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        screen.query_one("#graph-filter", Input).value = "Combined Avg Latency"
        await settle(pilot)
        tree = screen.query_one("#graph-tree", Tree)
        assert [str(n.label) for n in tree.root.children] == [
            "CPU saturation (cpu_saturation)",
            "IO saturation (io_saturation)",
            "Lock contention (lock_contention)",
        ]
        assert str(screen.query_one("#graph-summary", Static).render()) == (
            "3 of 5 causes · vendor names: combined avg latency → latency"
        )
        screen.query_one("#graph-filter", Input).value = "cpu_user (core #3)"
        await settle(pilot)
        assert [str(n.label) for n in tree.root.children] == ["CPU saturation (cpu_saturation)"]


def test_a_remediation_shows_its_description_and_sql() -> None:
    from models import Remediation

    fix = Remediation(
        id="add_index",
        title="Add the missing index",
        risk="medium",
        description="The scan reads the whole table for each lookup.",
        statements=["CREATE INDEX CONCURRENTLY orders_customer_idx ON public.orders (customer_id)"],
    )
    assert node_text(fix).plain.splitlines() == [
        "Add the missing index (add_index)",
        "medium risk",
        "",
        "The scan reads the whole table for each lookup.",
        "",
        "SQL to consider (shown, never run):",
        "CREATE INDEX CONCURRENTLY orders_customer_idx ON public.orders (customer_id)",
    ]
