"""The graph package stays headless and below rules/planner: importing it pulls none of them in."""

from __future__ import annotations

from tests.fresh import ROOT, fresh_python


def test_importing_the_graph_loads_no_rules_planner_tui_or_textual() -> None:
    code = (
        "import sys, knowledge_graph\n"
        "knowledge_graph.load_default_graph()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'rules', 'planner', 'tui', 'textual'})\n"
        "print(','.join(bad))\n"
    )
    assert fresh_python(code).strip() == ""


def test_package_sources_do_not_name_forbidden_packages() -> None:
    forbidden = (
        "import rules",
        "from rules",
        "import planner",
        "from planner",
        "import tui",
        "from tui",
        "textual",
    )
    for path in (ROOT / "knowledge_graph").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [f for f in forbidden if f in text], path.name
