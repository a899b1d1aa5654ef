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


SHOWN_APART = ("baseline", "anomaly", "ratio", "score", "delta", "peak", "confidence")


def evidence_values(values: dict[str, float | str | bool]) -> str:
    """``baseline → anomaly ×ratio z score`` first (what the DBA compares), then any other values."""
    parts: list[str] = []
    if "baseline" in values and "anomaly" in values:
        parts.append(f"{_num(values['baseline'])} → {_num(values['anomaly'])}")
        if "ratio" in values:
            parts.append(f"×{_num(values['ratio'])}")
        if "score" in values:
            parts.append(f"z {_num(values['score'])}")
        rest = {k: v for k, v in values.items() if k not in SHOWN_APART}
    else:
        rest = dict(values)
    parts += [f"{k}={_num(v)}" for k, v in rest.items()]
    return "  ".join(parts)


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


def _condition_detail(cond: dict[str, Any]) -> str:
    """The tests that decided a condition; a ``none`` condition holds when its fact is absent."""
    tests = [str(t) for t in cond.get("tests", [])]
    failed = [str(t) for t in cond.get("failed_tests", [])]
    if cond.get("group") == "none":
        if cond.get("passed"):
            missed = [t for t in failed if not t.startswith("present=")]
            return "absent, as required" + (f" ({', '.join(missed)})" if missed else "")
        return "present, but must be absent" + (f" ({', '.join(tests)})" if tests else "")
    shown = tests if cond.get("passed") else failed
    return ", ".join(shown) if shown else "present"


def _why_rule(text: Text, entry: dict[str, Any], depth: int) -> None:
    """One rule's report: each condition with a mark, and the rules behind a derived fact, indented."""
    pad = "    " * depth
    if "conditions" not in entry:  # a shape this view does not know: show it rather than hide it
        text.append(f"\n{pad}• {entry.get('rule', '?')}: {_flatten(entry)}")
        return
    certainty = entry.get("certainty")
    cf = f", CF {certainty:.2f}" if isinstance(certainty, float) else ""
    text.append(f"\n{pad}• ")
    text.append(str(entry.get("rule", "?")), style="bold")
    text.append(f" [{entry.get('pack', '')}] {entry.get('title', '')} ({entry.get('status', '?')}{cf})")
    for cond in entry["conditions"]:
        ok = bool(cond.get("passed"))
        text.append(f"\n{pad}    ")
        text.append("✓" if ok else "✗", style="green" if ok else "red bold")
        text.append(f" {cond.get('group', '')} {cond.get('condition', '')}: {_condition_detail(cond)}")
        if cond.get("text"):
            text.append(f"\n{pad}      {cond['text']}", style="dim")
        because = cond.get("because", [])
        for sub in because if isinstance(because, list) else [because]:
            if isinstance(sub, dict):
                _why_rule(text, sub, depth + 2)


def why_not_text(why: WhyNot) -> Text:
    """Per rule that could have concluded the cause, the conditions that failed and the values seen."""
    text = Text()
    text.append(f"WHY NOT {why.cause}", style="bold")
    if why.summary:
        text.append(f"\n{why.summary}")
    for entry in why.rules:
        _why_rule(text, entry, 0)
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
            evidence.add_row(ev.kind, ev.name, evidence_values(ev.values), ev.text)
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
