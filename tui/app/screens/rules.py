"""Rule authoring: the packs in force, a rule's source, lint and its inline tests.

The app watches the rule files and reloads them; this screen shows the
result: a reload that fails leaves the previous rules in force (the service
keeps them) and the errors stay on screen, with file:line, until a good edit
replaces them. The highlighted rule is described in full above its source,
so an id the tree had to cut is never unreadable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Log, Static, Tree
from textual.widgets.tree import TreeNode

from sleuth import RuleInfo, RulesState, RuleTestOutcome
from tui.app.filtering import matches
from tui.app.screens.base import SleuthScreen
from tui.app.state import app_state, one_line
from tui.app.widgets.filter_input import FilterInput

if TYPE_CHECKING:
    from rich.syntax import Syntax

    from tui.app.app import SleuthApp


def rule_words(rule: RuleInfo) -> tuple[str, ...]:
    """What ``/`` matches in a rule: id, title, pack, what it concludes, its engines."""
    return (rule.id, rule.title, rule.pack, rule.concludes, *rule.engines)


def rule_text(rule: RuleInfo) -> Text:
    engines = ", ".join(rule.engines) or "every engine"
    tests = f"{rule.tests} inline tests (t runs them)" if rule.tests else "no inline tests"
    return Text.assemble(
        (rule.id, "bold"),
        f": {rule.title}\n" if rule.title else "\n",
        f"⇒ {rule.concludes} at CF {rule.certainty:.2f}, salience {rule.salience}; {engines}; {tests}\n",
        (f"{rule.file}:{rule.line}", "dim"),
    )


class RulesScreen(SleuthScreen):
    AUTO_FOCUS = "#rules-tree"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="sleuth.rules.filter"),
        Binding("l", "lint", "Lint", id="sleuth.rules.lint"),
        Binding("t", "test_rule", "Test rule", id="sleuth.rules.test"),
        Binding("ctrl+r", "reload", "Reload", id="sleuth.rules.reload"),
    ]

    def __init__(self) -> None:
        super().__init__(id="rules")
        self.state: RulesState | None = None
        self.selected: RuleInfo | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Loading rules…", id="rules-summary")
        yield Static("", id="rules-errors")
        yield FilterInput("rules: id, title, pack, cause", id="rules-filter", list_id="rules-tree")
        with Horizontal(id="rules-panes"):
            tree: Tree[str] = Tree("packs", id="rules-tree")
            tree.show_root = False
            yield tree
            with Vertical(id="rule-pane"):
                yield Static("", id="rule-info")
                with VerticalScroll(id="rule-source-scroll"):
                    yield Static("Select a rule to see its source.", id="rule-source")
                output = Log(id="rules-output", highlight=False)
                output.border_title = "Lint and tests"
                yield output

    def on_mount(self) -> None:
        self.sub_title = "rules"
        self.query_one("#rules-errors", Static).display = False
        self.watch(self.app, "rules_state", self.show_rules)
        # The source is highlighted for the theme it was drawn in; redraw it when the theme flips.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._refresh_source())

    def show_rules(self, state: RulesState | None) -> None:
        if state is None:
            return
        changed = self.state is None or self.state.generation != state.generation
        self.state = state
        errors = self.query_one("#rules-errors", Static)
        errors.update(Text("\n".join(state.errors), style="red"))
        errors.display = bool(state.errors)
        summary = f"{state.rule_count} rules in {len(state.packs)} packs (generation {state.generation})"
        if state.errors:
            summary += (
                " — last reload failed; the previous rules stay in force"
                if state.generation
                else " — the rule files do not load"
            )
        self.query_one("#rules-summary", Static).update(summary)
        if changed:
            self._fill_tree()

    def _fill_tree(self) -> None:
        """Rebuild the tree (filtered), keeping the selected rule (or the first one) under the cursor."""
        if self.state is None:
            return
        query = self.query_one("#rules-filter", FilterInput).value
        tree = self.query_one("#rules-tree", Tree)
        tree.clear()
        keep = self.selected.id if self.selected else None
        first: TreeNode[str] | None = None
        kept: TreeNode[str] | None = None
        for pack in self.state.packs:
            rules = [rule for rule in pack.rules if matches(query, rule_words(rule))]
            if not rules:
                continue
            node = tree.root.add(Text.assemble((pack.name, "bold"), f" ({len(rules)})"), expand=True)
            for rule in rules:
                label = Text.assemble(rule.id, (f" → {rule.concludes} {rule.certainty:.2f}", "dim"))
                leaf = node.add_leaf(label, data=rule.id)
                first = first or leaf
                kept = leaf if rule.id == keep else kept
        target = kept or first
        if target is not None and target.data is not None:
            self.selected = self.state.find(target.data)
            self._refresh_source()
            self.call_after_refresh(tree.move_cursor, target)

    def on_input_changed(self, event: FilterInput.Changed) -> None:
        if event.input.id == "rules-filter":
            self._fill_tree()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node.data is None or self.state is None:
            return
        self.selected = self.state.find(event.node.data)
        self._refresh_source()

    def _refresh_source(self) -> None:
        if self.selected is None or self.state is None:
            return
        self.selected = self.state.find(self.selected.id) or self.selected
        self.query_one("#rule-info", Static).update(rule_text(self.selected))
        self._show_source(self.selected)

    @work(thread=True, exclusive=True, group="rule-source")
    def _show_source(self, rule: RuleInfo) -> None:
        from rich.syntax import Syntax  # pygments' lexers load here, off the path to the first frame

        try:
            code = rule.file.read_text(encoding="utf-8")
        except OSError as exc:
            self.app.call_from_thread(self._set_source, Text(f"{rule.file}: {exc.strerror}", style="red"))
            return
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        syntax = Syntax(code, "yaml", line_numbers=True, highlight_lines={rule.line}, theme=theme)
        self.app.call_from_thread(self._set_source, syntax, rule.line)

    def _set_source(self, content: Syntax | Text, line: int = 1) -> None:
        self.query_one("#rule-source", Static).update(content)
        scroll = self.query_one("#rule-source-scroll", VerticalScroll)
        self.call_after_refresh(scroll.scroll_to, y=max(line - 3, 0), animate=False)

    def action_filter(self) -> None:
        self.query_one("#rules-filter", FilterInput).open()

    def action_reload(self) -> None:
        cast("SleuthApp", self.app).reload_rules()

    def action_lint(self) -> None:
        self._lint()

    @work(thread=True, exclusive=True, group="rules-lint")
    def _lint(self) -> None:
        try:
            services = app_state(self).services
            problems = [str(p) for p in services.lint(services.rules.sources())[2]]
        except Exception as exc:
            problems = [f"lint failed: {one_line(exc)}"]
        lines = problems or ["lint: no problems"]
        self.app.call_from_thread(self._write, ["$ sleuth rules lint", *lines])

    def action_test_rule(self) -> None:
        if self.selected is None:
            self.notify("Select a rule first.", severity="warning")
            return
        self._test(self.selected.id)

    @work(thread=True, exclusive=True, group="rules-test")
    def _test(self, rule_id: str) -> None:
        try:
            outcomes = app_state(self).services.test_rules(rule_id=rule_id)
        except Exception as exc:
            self.app.call_from_thread(self._write, [f"tests for {rule_id} failed: {one_line(exc)}"])
            return
        self.app.call_from_thread(
            self._write, [f"$ sleuth rules test {rule_id}", *self.outcome_lines(outcomes)]
        )

    @staticmethod
    def outcome_lines(outcomes: list[RuleTestOutcome]) -> list[str]:
        if not outcomes:
            return ["no inline tests"]
        lines = [f"{'PASS' if o.passed else 'FAIL'} {o.incident.name}: {o.message}" for o in outcomes]
        passed = sum(o.passed for o in outcomes)
        return [*lines, f"{passed}/{len(outcomes)} passed"]

    def _write(self, lines: list[str]) -> None:
        self.query_one("#rules-output", Log).write_lines(lines)
