"""The knowledge graph as a tree a DBA can browse: cause → symptoms → metrics, checks, remediations.

The filter has the focus on arrival (this screen is for looking things up),
matches anywhere in a cause's subtree, and understands vendor metric names:
``Innodb_row_lock_waits`` or ``pg_locks`` finds what the graph calls
``row_lock_waits``. The pane beside the tree shows the highlighted node in
full: a remediation's description and the SQL it suggests (shown, never run).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from sleuth import KgCause, KgCheck, KgMetric, KgSymptom
from tui.app.filtering import matches, terms
from tui.app.screens.base import SleuthScreen
from tui.app.state import app_state, one_line
from tui.app.widgets.filter_input import FilterInput

if TYPE_CHECKING:
    from models import Remediation

    Node = KgCause | KgSymptom | KgMetric | KgCheck | Remediation | None

RISK_STYLE = {"low": "green", "medium": "yellow", "high": "red"}


def cause_words(cause: KgCause) -> list[str]:
    """Everything a filter may match for this cause."""
    words = [cause.id, cause.title]
    for symptom in cause.symptoms:
        words += [symptom.id, symptom.title, *(m.id for m in symptom.metrics)]
    words += [f"{c.id} {c.title} {c.tool}" for c in cause.checks]
    words += [f"{r.id} {r.title} {r.description}" for r in cause.remediations]
    return words


def filter_causes(
    causes: list[KgCause], query: str, aliases: Mapping[str, Collection[str]] | None = None
) -> list[KgCause]:
    """Causes whose subtree contains every word of the query (or a graph name it stands for)."""
    return [c for c in causes if matches(query, cause_words(c), aliases)]


def vendor_names(query: str, table: Mapping[str, str]) -> dict[str, set[str]]:
    """For each word of the query, and the whole query, the graph metrics whose vendor names contain it.

    Part of a name is enough: ``pg_locks`` stands for ``pg_locks.waiting`` and ``pg_locks_count``.
    """
    words = [*terms(query), query.strip().lower()] if query.strip() else []
    found: dict[str, set[str]] = {}
    for word in dict.fromkeys(words):
        metrics = {metric for name, metric in table.items() if word in name and name != metric != word}
        if metrics:
            found[word] = metrics
    return found


def node_text(node: Node) -> Text:
    """The highlighted node in full, for the pane beside the tree."""
    from models import Remediation  # pydantic loads after the first paint

    if isinstance(node, KgCause):
        return Text.assemble(
            (node.title, "bold"),
            f" ({node.id})\n\n{len(node.symptoms)} symptoms, {len(node.checks)} checks, "
            f"{len(node.remediations)} remediations",
        )
    if isinstance(node, KgSymptom):
        shown = ", ".join(f"{m.id} {m.direction}" for m in node.metrics) or "only a planner check shows it"
        return Text.assemble((node.title, "bold"), f" ({node.id})\n\nshown by: {shown}")
    if isinstance(node, KgMetric):
        return Text.assemble(
            ("metric ", "bold"), (node.id, "bold"), f"\n\nshows the symptom when it goes {node.direction}"
        )
    if isinstance(node, KgCheck):
        return Text.assemble((node.title, "bold"), f" ({node.id})\n\nplanner tool: {node.tool}")
    if isinstance(node, Remediation):
        text = Text.assemble(
            (node.title, "bold"), f" ({node.id})\n", (f"{node.risk} risk", RISK_STYLE.get(node.risk, ""))
        )
        if node.description:
            text.append(f"\n\n{node.description}")
        if node.statements:
            text.append("\n\nSQL to consider (shown, never run):\n", style="bold")
            text.append("\n".join(node.statements), style="italic")
        return text
    return Text("Highlight a node to see it in full.", style="dim")


class GraphScreen(SleuthScreen):
    AUTO_FOCUS = "#graph-filter"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="sleuth.graph.filter"),
    ]

    def __init__(self) -> None:
        super().__init__(id="graph")
        self.causes: list[KgCause] = []
        self.aliases: dict[str, set[str]] = {}
        self.vendor_table: dict[str, str] | None = None

    def compose_body(self) -> ComposeResult:
        yield FilterInput(
            "cause, symptom, metric (vendor names too), check, remediation",
            id="graph-filter",
            list_id="graph-tree",
            collapsible=False,
        )
        yield Static("Loading the knowledge graph…", id="graph-summary")
        with Horizontal(id="graph-panes"):
            tree: Tree[Node] = Tree("causes", id="graph-tree")
            tree.show_root = False
            yield tree
            with VerticalScroll(id="graph-detail"):
                yield Static(node_text(None), id="graph-node")

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
        self.query_one("#graph-summary", Static).update(
            Text(f"Knowledge graph not available: {message}", "red")
        )

    def _loaded(self, causes: list[KgCause]) -> None:
        self.causes = causes
        self._resolve(self.query_one("#graph-filter", Input).value)

    @work(thread=True, exclusive=True, group="graph-aliases")
    def _resolve(self, query: str) -> None:
        """The graph metrics each word (and the whole query) may be a vendor name of; the table loads once."""
        services = app_state(self).services
        words = [*terms(query), query.strip().lower()] if query.strip() else []
        try:
            if self.vendor_table is None:
                self.vendor_table = services.metric_aliases()
            exact = services.canonical_metrics(words)  # globs too: cpu_user (core #3)
        except Exception:
            self.vendor_table, exact = self.vendor_table or {}, {}
        aliases = vendor_names(query, self.vendor_table)
        for word, metric in exact.items():
            if metric is not None and metric != word:
                aliases.setdefault(word, set()).add(metric)
        self.app.call_from_thread(self.show, query, aliases)

    def show(self, query: str, aliases: dict[str, set[str]] | None = None) -> None:
        self.aliases = aliases or {}
        whole = query.strip().lower()
        if " " in whole and whole in self.aliases:  # a vendor name with spaces: the name, not its words
            named = {whole: self.aliases[whole]}
            shown = [c for c in self.causes if any(m in cause_words(c) for m in named[whole])]
        else:
            named = {word: metrics for word, metrics in self.aliases.items() if " " not in word}
            shown = filter_causes(self.causes, query, self.aliases)
        tree = self.query_one("#graph-tree", Tree)
        tree.clear()
        for cause in shown:
            self._add_cause(tree.root, cause, expand=bool(whole))
        summary = Text(f"{len(shown)} of {len(self.causes)} causes")
        if named:
            said = "; ".join(f"{word} → {', '.join(sorted(metrics))}" for word, metrics in named.items())
            summary.append(f" · vendor names: {said}", style="cyan")
        self.query_one("#graph-summary", Static).update(summary)

    @staticmethod
    def _add_cause(root: TreeNode[Node], cause: KgCause, *, expand: bool) -> None:
        node = root.add(Text.assemble((cause.title, "bold"), f" ({cause.id})"), data=cause, expand=expand)
        # A group node stands for its cause, so the pane keeps showing the cause while passing through.
        symptoms = node.add(f"Symptoms ({len(cause.symptoms)})", data=cause, expand=expand)
        for symptom in cause.symptoms:
            sym = symptoms.add(Text(f"{symptom.title} ({symptom.id})"), data=symptom, expand=expand)
            for metric in symptom.metrics:
                arrow = {"up": " ↑", "down": " ↓"}.get(metric.direction, "")
                sym.add_leaf(Text(f"metric {metric.id}{arrow}"), data=metric)
        checks = node.add(f"Checks ({len(cause.checks)})", data=cause, expand=expand)
        for check in cause.checks:
            checks.add_leaf(Text(f"{check.title} — {check.tool}"), data=check)
        rems = node.add(f"Remediations ({len(cause.remediations)})", data=cause, expand=expand)
        for rem in cause.remediations:
            label = Text.assemble((f"[{rem.risk}] ", RISK_STYLE.get(rem.risk, "")), rem.title)
            if rem.statements:
                label.append(f" ({len(rem.statements)} SQL)", style="dim")
            rems.add_leaf(label, data=rem)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Node]) -> None:
        self.query_one("#graph-node", Static).update(node_text(event.node.data))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "graph-filter":
            self._resolve(event.value)

    def action_focus_filter(self) -> None:
        self.query_one("#graph-filter", Input).focus()
