"""Ranked causes on the left; the selected cause's evidence, HOW chain and remediations on the right.

Evidence is a table because the DBA compares numbers (baseline against
anomaly) across facts; HOW and WHY NOT are prose-like chains, so they are text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Static

if TYPE_CHECKING:
    from models import CauseFinding, Diagnosis, WhyNot


def _num(value: float | str | bool) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def how_text(cause: CauseFinding) -> Text:
    """The rule chain, one firing per line, with premise and concluded certainty."""
    if not cause.chain:
        rules = ", ".join(cause.rules) or "none recorded"
        return Text(f"rules: {rules}")
    text = Text()
    for i, firing in enumerate(cause.chain):
        if i:
            text.append("\n")
        facts = ", ".join(f.name for f in firing.facts) or "—"
        text.append(firing.rule, style="bold")
        text.append(f" [{firing.pack}]" if firing.pack else "")
        text.append(f"  {facts}  premise {firing.premise:.2f} → ")
        text.append(f"{firing.conclusion_kind} {firing.concludes}", style="bold")
        text.append(f" @ {firing.certainty:.2f}")
    return text


def remediation_text(cause: CauseFinding) -> Text:
    if not cause.remediations:
        return Text("no remediation in the knowledge graph", style="dim")
    text = Text()
    for i, rem in enumerate(cause.remediations):
        if i:
            text.append("\n")
        style = {"low": "green", "medium": "yellow", "high": "red"}[rem.risk]
        text.append(f"[{rem.risk}] ", style=style)
        text.append(rem.title, style="bold")
        if rem.description:
            text.append(f" — {rem.description}")
    return text


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def why_not_text(why: WhyNot) -> Text:
    """Per rule that could have concluded the cause, the conditions that failed and the values seen."""
    text = Text()
    text.append(f"WHY NOT {why.cause}", style="bold")
    if why.summary:
        text.append(f"\n{why.summary}")
    for entry in why.rules:
        rule = entry.get("rule", "?")
        text.append(f"\n• {rule}", style="bold")
        for key, value in entry.items():
            if key != "rule":
                text.append(f"\n    {key}: {_flatten(value)}")
    if not why.rules and not why.summary:
        text.append("\nno rule concludes this cause")
    return text


class DiagnosisView(Horizontal):
    def __init__(self) -> None:
        super().__init__(id="diagnosis-view")
        self.diagnosis: Diagnosis | None = None

    def compose(self) -> ComposeResult:
        causes: DataTable[str] = DataTable(id="causes", cursor_type="row")
        causes.border_title = "Causes"
        yield causes
        with VerticalScroll(id="cause-detail"):
            yield Label("", id="cause-title")
            yield Label("Evidence", classes="section")
            evidence: DataTable[str] = DataTable(id="evidence", cursor_type="row", show_cursor=False)
            yield evidence
            yield Label("How", classes="section")
            yield Static("", id="how")
            yield Label("Remediation", classes="section")
            yield Static("", id="remediations")
            yield Static("", id="whynot")

    def on_mount(self) -> None:
        causes = self.query_one("#causes", DataTable)
        for label, key in (("#", "rank"), ("Cause", "cause"), ("CF", "cf"), ("Score", "score"), ("By", "by")):
            causes.add_column(label, key=key)
        evidence = self.query_one("#evidence", DataTable)
        for label, key in (("Kind", "kind"), ("Fact", "name"), ("Values", "values"), ("Text", "text")):
            evidence.add_column(label, key=key)

    def show(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        causes = self.query_one("#causes", DataTable)
        causes.clear()
        for rank, cause in enumerate(diagnosis.causes, start=1):
            causes.add_row(
                str(rank),
                cause.title or cause.cause,
                f"{cause.certainty:.2f}",
                f"{cause.score:.2f}",
                cause.source,
                key=cause.cause,
            )
        if diagnosis.causes:
            self.show_cause(0)
        else:
            self.query_one("#cause-title", Label).update(
                f"No cause concluded ({diagnosis.path}). Press p to start the planner."
            )

    @property
    def selected(self) -> CauseFinding | None:
        if self.diagnosis is None or not self.diagnosis.causes:
            return None
        row = self.query_one("#causes", DataTable).cursor_row
        return self.diagnosis.causes[min(max(row, 0), len(self.diagnosis.causes) - 1)]

    def show_cause(self, index: int) -> None:
        assert self.diagnosis is not None
        cause = self.diagnosis.causes[index]
        self.query_one("#cause-title", Label).update(
            Text.assemble(
                (cause.title or cause.cause, "bold"), f"  ({cause.cause}, certainty {cause.certainty:.2f})"
            )
        )
        evidence = self.query_one("#evidence", DataTable)
        evidence.clear()
        for ev in cause.evidence:
            values = ", ".join(f"{k}={_num(v)}" for k, v in ev.values.items())
            evidence.add_row(ev.kind, ev.name, values, ev.text)
        self.query_one("#how", Static).update(how_text(cause))
        self.query_one("#remediations", Static).update(remediation_text(cause))
        self.query_one("#whynot", Static).update("")

    def show_why_not(self, why: WhyNot) -> None:
        self.query_one("#whynot", Static).update(why_not_text(why))
        self.query_one("#whynot", Static).scroll_visible()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "causes" and self.diagnosis and self.diagnosis.causes:
            event.stop()
            self.show_cause(min(event.cursor_row, len(self.diagnosis.causes) - 1))
