"""Rule authoring: the packs in force, a rule's source, lint and its inline tests, live reload.

Rule files are polled for changes; a reload that fails leaves the previous
rules in force (the services keep them) and the errors stay on screen, with
file:line, until a good edit replaces them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Log, Static, Tree
from textual.widgets.tree import TreeNode

from tui.app.services import RuleInfo, RulesState, RuleTestOutcome
from tui.app.state import app_state, one_line

if TYPE_CHECKING:
    from rich.syntax import Syntax

POLL_SECONDS = 1.0


def mtimes(paths: list[Path]) -> dict[Path, float]:
    """The state the poll compares; a deleted file counts as a change too."""
    found: dict[Path, float] = {}
    for path in paths:
        try:
            found[path] = path.stat().st_mtime_ns / 1e9
        except OSError:
            found[path] = -1.0
    return found


class RulesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "lint", "Lint", id="sleuth.rules.lint"),
        Binding("t", "test_rule", "Test rule", id="sleuth.rules.test"),
        Binding("ctrl+r", "reload", "Reload", id="sleuth.rules.reload"),
    ]

    def __init__(self) -> None:
        super().__init__(id="rules")
        self.state: RulesState | None = None
        self.selected: RuleInfo | None = None
        self._mtimes: dict[Path, float] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Loading rules…", id="rules-summary")
        yield Static("", id="rules-errors")
        with Horizontal():
            tree: Tree[str] = Tree("packs", id="rules-tree")
            tree.show_root = False
            yield tree
            with Vertical(id="rule-pane"):
                with VerticalScroll(id="rule-source-scroll"):
                    yield Static("Select a rule to see its source.", id="rule-source")
                output = Log(id="rules-output", highlight=False)
                output.border_title = "Lint and tests"
                yield output
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "rules"
        self.query_one("#rules-errors", Static).display = False
        self._load(reload=False)
        self.set_interval(POLL_SECONDS, self._poll, name="rules-poll")
        # The source is highlighted for the theme it was drawn in; redraw it when the theme flips.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._refresh_source())

    @work(thread=True, exclusive=True, group="rules-load")
    def _load(self, *, reload: bool) -> None:
        services = app_state(self).services
        try:
            files = services.rule_files()
            stamp = mtimes(files)
            state = services.reload_rules() if reload else services.rules()
        except Exception as exc:
            self.app.call_from_thread(self._unavailable, one_line(exc))
            return
        self.app.call_from_thread(self.show_rules, state, stamp)

    def _unavailable(self, message: str) -> None:
        self.query_one("#rules-summary", Label).update(Text(f"Rules not available: {message}", style="red"))

    @work(thread=True, exclusive=True, group="rules-poll")
    def _poll(self) -> None:
        try:
            stamp = mtimes(app_state(self).services.rule_files())
        except Exception:
            return  # the summary already says why rules are unavailable
        if self._mtimes and stamp != self._mtimes:
            self.app.call_from_thread(self._changed, stamp)

    def _changed(self, stamp: dict[Path, float]) -> None:
        self._mtimes = stamp  # don't reload twice for one edit while the reload runs
        self._load(reload=True)

    def show_rules(self, state: RulesState, stamp: dict[Path, float]) -> None:
        first = self.state is None
        changed = self.state is not None and self.state.generation != state.generation
        self.state = state
        self._mtimes = stamp
        errors = self.query_one("#rules-errors", Static)
        errors.update(Text("\n".join(state.errors), style="red"))
        errors.display = bool(state.errors)
        summary = f"{state.rule_count} rules in {len(state.packs)} packs (generation {state.generation})"
        if state.errors:
            summary += " — last reload failed; the previous rules stay in force"
        self.query_one("#rules-summary", Label).update(summary)
        if first or changed:
            self._fill_tree(state)
        if state.errors and not first:
            self.notify("Rule reload failed; previous rules kept.", severity="error", title="Rules")
        elif changed:
            app_state(self).rules_epoch += 1
            self.notify(
                f"Reloaded {state.rule_count} rules; incidents will be diagnosed again.", title="Rules"
            )

    def _fill_tree(self, state: RulesState) -> None:
        """Rebuild the tree, keeping the selected rule (or the first one) under the cursor."""
        tree = self.query_one("#rules-tree", Tree)
        tree.clear()
        keep = self.selected.id if self.selected else None
        first: TreeNode[str] | None = None
        kept: TreeNode[str] | None = None
        for pack in state.packs:
            node = tree.root.add(Text.assemble((pack.name, "bold"), f" ({len(pack.rules)})"), expand=True)
            for rule in pack.rules:
                label = Text.assemble(rule.id, (f" → {rule.concludes} {rule.certainty:.2f}", "dim"))
                leaf = node.add_leaf(label, data=rule.id)
                first = first or leaf
                kept = leaf if rule.id == keep else kept
        target = kept or first
        if target is not None and target.data is not None:
            self.selected = state.find(target.data)
            self._refresh_source()
            self.call_after_refresh(tree.move_cursor, target)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node.data is None or self.state is None:
            return
        self.selected = self.state.find(event.node.data)
        self._refresh_source()

    def _refresh_source(self) -> None:
        if self.selected is None or self.state is None:
            return
        self.selected = self.state.find(self.selected.id) or self.selected
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

    def action_reload(self) -> None:
        self._load(reload=True)

    def action_lint(self) -> None:
        self._lint()

    @work(thread=True, exclusive=True, group="rules-lint")
    def _lint(self) -> None:
        try:
            problems = app_state(self).services.lint()
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
            outcomes = app_state(self).services.run_rule_tests(rule_id)
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
        lines = [f"{'PASS' if o.passed else 'FAIL'} {o.incident}: {o.message}" for o in outcomes]
        passed = sum(o.passed for o in outcomes)
        return [*lines, f"{passed}/{len(outcomes)} passed"]

    def _write(self, lines: list[str]) -> None:
        self.query_one("#rules-output", Log).write_lines(lines)
