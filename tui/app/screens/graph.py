"""The knowledge graph as a tree a DBA can browse: cause → symptoms → metrics, checks, remediations.

The filter matches anywhere in a cause's subtree, so typing a metric name
(``threads_running``) shows every cause that metric can point to.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Tree
from textual.widgets.tree import TreeNode

from tui.app.services import KgCause
from tui.app.state import app_state, one_line


def cause_words(cause: KgCause) -> str:
    """Everything a filter may match for this cause, lower-cased."""
    words = [cause.id, cause.title]
    for symptom in cause.symptoms:
        words += [symptom.id, symptom.title, *(m.id for m in symptom.metrics)]
    words += [f"{c.id} {c.title} {c.tool}" for c in cause.checks]
    words += [f"{r.id} {r.title}" for r in cause.remediations]
    return " ".join(words).lower()


def filter_causes(causes: list[KgCause], query: str) -> list[KgCause]:
    """Causes whose subtree contains every word of the query."""
    terms = query.lower().split()
    return [c for c in causes if all(t in cause_words(c) for t in terms)]


class GraphScreen(Screen[None]):
    AUTO_FOCUS = "#graph-tree"  # the mode keys (i, g, r, b) must work on arrival, not type into the filter
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="sleuth.graph.filter"),
        Binding("escape", "focus_tree", "Tree", show=False, id="sleuth.graph.tree"),
    ]

    def __init__(self) -> None:
        super().__init__(id="graph")
        self.causes: list[KgCause] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: cause, symptom, metric, check or remediation", id="graph-filter")
        yield Label("Loading the knowledge graph…", id="graph-summary")
        tree: Tree[str] = Tree("causes", id="graph-tree")
        tree.show_root = False
        yield tree
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "knowledge graph"
        self._load()

    @work(thread=True, exclusive=True, group="graph-load")
    def _load(self) -> None:
        try:
            causes = app_state(self).services.kg_causes()
        except Exception as exc:
            self.app.call_from_thread(self._failed, one_line(exc))
            return
        self.app.call_from_thread(self._loaded, causes)

    def _failed(self, message: str) -> None:
        self.query_one("#graph-summary", Label).update(f"Knowledge graph not available: {message}")

    def _loaded(self, causes: list[KgCause]) -> None:
        self.causes = causes
        self.show(self.query_one("#graph-filter", Input).value)

    def show(self, query: str) -> None:
        shown = filter_causes(self.causes, query)
        tree = self.query_one("#graph-tree", Tree)
        tree.clear()
        for cause in shown:
            self._add_cause(tree.root, cause, expand=bool(query.strip()))
        self.query_one("#graph-summary", Label).update(f"{len(shown)} of {len(self.causes)} causes")

    @staticmethod
    def _add_cause(root: TreeNode[str], cause: KgCause, *, expand: bool) -> None:
        node = root.add(Text.assemble((cause.title, "bold"), f" ({cause.id})"), data=cause.id, expand=expand)
        symptoms = node.add(f"Symptoms ({len(cause.symptoms)})", expand=expand)
        for symptom in cause.symptoms:
            sym = symptoms.add(Text(f"{symptom.title} ({symptom.id})"), data=symptom.id, expand=expand)
            for metric in symptom.metrics:
                arrow = {"up": " ↑", "down": " ↓"}.get(metric.direction, "")
                sym.add_leaf(Text(f"metric {metric.id}{arrow}"), data=metric.id)
        checks = node.add(f"Checks ({len(cause.checks)})", expand=expand)
        for check in cause.checks:
            checks.add_leaf(Text(f"{check.title} — {check.tool}"), data=check.id)
        rems = node.add(f"Remediations ({len(cause.remediations)})", expand=expand)
        for rem in cause.remediations:
            rems.add_leaf(Text(f"[{rem.risk}] {rem.title}"), data=rem.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#graph-tree", Tree).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#graph-filter", Input).focus()

    def action_focus_tree(self) -> None:
        self.query_one("#graph-tree", Tree).focus()
