"""Ranked causes beside (or, on a narrow terminal, above) the selected cause's whole story.

Evidence is a table because the DBA compares numbers (baseline against
anomaly) across facts; HOW, what a cause blames, remediations and WHY NOT are
prose-like, so they are text. Every word and number comes from
``sleuth.render``, the same as the command line and the exported report;
``enter`` on a cause or an evidence row shows it in full, wrapped.

Beyond the causes the view shows what else a diagnosis carries: the health
test behind a ``healthy`` answer, every abnormal window, similar past
incidents with what the DBA confirmed, the planner's calls, the errors, and
the DBA's own verdicts on these causes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Static

from tui.app.widgets.tables import DetailTable

if TYPE_CHECKING:
    from models import CauseFinding, Diagnosis, WhyNot
    from sleuth.history import VerdictKind
    from sleuth.render import Units
    from sleuth.render.lines import Line

NARROW = 110
"""Below this many columns the causes go above the detail: side by side, both would be cut."""

VERDICT_MARK: dict[str, Text] = {
    "confirmed": Text("✓ yes", style="bold green"),
    "rejected": Text("✗ no", style="bold red"),
}

Verdicts = Mapping[str, tuple["VerdictKind", str]]


def why_not_here_first(why: WhyNot) -> WhyNot:
    """Rules of this incident's engine first: those of other engines could never have fired here."""
    ordered = sorted(why.rules, key=lambda r: r.status == "other engine")
    return why.model_copy(update={"rules": ordered})


def about_lines(diagnosis: Diagnosis, units: Units) -> list[Line]:
    """Everything a diagnosis says besides its causes, each part only when it has something."""
    from sleuth.render import parts
    from sleuth.render.lines import Span, line, nest

    out = [line(parts.headline(diagnosis))]
    labels = parts.labels_phrase(diagnosis)
    if labels:
        out.append(line(labels))
    if diagnosis.health is not None:
        out += parts.health_lines(diagnosis.health, units)
    if diagnosis.windows and diagnosis.windows != ([diagnosis.window] if diagnosis.window else []):
        out.append(line(f"{len(diagnosis.windows)} abnormal windows:"))
        out += nest(parts.windows_lines(diagnosis.windows), 1)
    if diagnosis.similar:
        out.append(line("similar past incidents (what the DBA confirmed):"))
        out += nest([parts.similar_line(s) for s in diagnosis.similar], 1)
    calls = [e for e in diagnosis.trace if e.kind in ("model", "tool")]
    if calls:
        out.append(line("investigation:"))
        out += nest([parts.trace_line(e) for e in calls], 1)
    out += [line(Span(f"error: {e}", "fail")) for e in diagnosis.errors]
    return out


def empty_message(diagnosis: Diagnosis) -> Text:
    if diagnosis.path == "healthy":
        return Text("Healthy: nothing abnormal in this capture (the test is below).", style="bold green")
    return Text.assemble(
        (f"No cause concluded ({diagnosis.path}). ", "bold"),
        "Press p, then s, to investigate with the planner; w asks WHY NOT any cause.",
    )


class DiagnosisView(Horizontal):
    def __init__(self) -> None:
        super().__init__(id="diagnosis-view")
        self.diagnosis: Diagnosis | None = None
        self.units: Units = {}
        self.why_not: WhyNot | None = None
        """The last WHY NOT answer shown, so an export carries what the DBA asked."""
        self.verdicts: dict[str, tuple[VerdictKind, str]] = {}

    def compose(self) -> ComposeResult:
        causes = DetailTable(id="causes", cursor_type="row")
        causes.border_title = "Causes"
        yield causes
        with VerticalScroll(id="cause-detail"):
            yield Static("", id="cause-title")
            yield Label("Evidence (enter: in full)", classes="section", id="evidence-label")
            yield DetailTable(id="evidence", cursor_type="row")
            yield Label("Blamed", classes="section", id="subjects-label")
            yield Static("", id="subjects")
            yield Label("How", classes="section", id="how-label")
            yield Static("", id="how")
            yield Label("Remediation (SQL is shown, never run)", classes="section", id="remediations-label")
            yield Static("", id="remediations")
            yield Label("About this diagnosis", classes="section")
            yield Static("", id="about")
            yield Static("", id="whynot")

    def on_mount(self) -> None:
        causes = self.query_one("#causes", DataTable)
        for label, key in (
            ("#", "rank"),
            ("CF", "cf"),
            ("Score", "score"),
            ("By", "by"),
            ("You", "verdict"),
            ("Cause", "cause"),
        ):
            causes.add_column(label, key=key)
        evidence = self.query_one("#evidence", DataTable)
        for label, key in (("Kind", "kind"), ("Fact", "name"), ("Values", "values"), ("Note", "note")):
            evidence.add_column(label, key=key)
        self._show_sections(None)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    def show(self, diagnosis: Diagnosis, units: Units | None = None) -> None:
        """``units``: each metric's unit, so numbers read ``167 MiB/s``; without them they are plain."""
        from sleuth.render.rich_text import to_rich

        keep = self.selected.cause if self.selected is not None else None
        self.diagnosis = diagnosis
        self.units = units or {}
        causes = self.query_one("#causes", DataTable)
        causes.clear()
        for rank, cause in enumerate(diagnosis.causes, start=1):
            causes.add_row(*self._cause_cells(rank, cause), key=cause.cause)
        self.query_one("#about", Static).update(to_rich(about_lines(diagnosis, self.units)))
        if diagnosis.causes:
            index = next((i for i, c in enumerate(diagnosis.causes) if c.cause == keep), 0)
            causes.move_cursor(row=index)
            self.show_cause(index)
        else:
            self.query_one("#cause-title", Static).update(empty_message(diagnosis))
            self._show_sections(None)

    def _cause_cells(self, rank: int, cause: CauseFinding) -> tuple[str | Text, ...]:
        verdict = self.verdicts.get(cause.cause)
        return (
            str(rank),
            f"{cause.certainty:.2f}",
            f"{cause.score:.2f}",
            "planner" if cause.source == "llm" else cause.source,
            VERDICT_MARK[verdict[0]] if verdict else "",
            cause.title or cause.cause,
        )

    def show_verdicts(self, verdicts: Verdicts) -> None:
        self.verdicts = dict(verdicts)
        if self.diagnosis is None:
            return
        causes = self.query_one("#causes", DataTable)
        for cause in self.diagnosis.causes:
            if cause.cause in causes.rows:
                verdict = self.verdicts.get(cause.cause)
                causes.update_cell(cause.cause, "verdict", VERDICT_MARK[verdict[0]] if verdict else "")
        selected = self.selected
        if selected is not None:
            self._show_title(selected)

    @property
    def selected(self) -> CauseFinding | None:
        if self.diagnosis is None or not self.diagnosis.causes:
            return None
        row = self.query_one("#causes", DataTable).cursor_row
        return self.diagnosis.causes[min(max(row, 0), len(self.diagnosis.causes) - 1)]

    def _show_title(self, cause: CauseFinding) -> None:
        from sleuth.render import parts
        from sleuth.render.lines import line
        from sleuth.render.rich_text import to_rich

        assert self.diagnosis is not None
        rank = self.diagnosis.causes.index(cause) + 1
        lines = [parts.cause_heading(rank, cause), line(parts.cause_figures(cause))]
        window = parts.cause_window(cause, self.diagnosis)
        if window:
            lines.append(line(window))
        title = to_rich(lines)
        verdict = self.verdicts.get(cause.cause)
        if verdict is not None:
            kind, note = verdict
            title.append("\nyou ")
            title.append_text(VERDICT_MARK[kind])
            title.append(f" ({kind}{': ' + note if note else ''})")
        self.query_one("#cause-title", Static).update(title)

    def show_cause(self, index: int) -> None:
        from sleuth.render import evidence_view, parts
        from sleuth.render.rich_text import to_rich

        assert self.diagnosis is not None
        cause = self.diagnosis.causes[index]
        self._show_title(cause)
        evidence = self.query_one("#evidence", DataTable)
        evidence.clear()
        for ev in cause.evidence:
            row = evidence_view(ev, self.units)
            evidence.add_row(row.kind, row.name, row.values, row.note)
        self.query_one("#subjects", Static).update(to_rich(parts.subject_lines(cause)))
        self.query_one("#how", Static).update(to_rich(parts.how_lines(cause)))
        self.query_one("#remediations", Static).update(to_rich(parts.remediation_lines(cause)))
        self._show_sections(cause)

    def _show_sections(self, cause: CauseFinding | None) -> None:
        """A section without content takes no room (a short terminal has none to spare)."""
        shown = {
            "evidence": cause is not None and bool(cause.evidence),
            "subjects": cause is not None and bool(cause.subjects),
            "how": cause is not None,
            "remediations": cause is not None,
        }
        for section, visible in shown.items():
            self.query_one(f"#{section}-label").display = visible
            self.query_one(f"#{section}").display = visible

    def show_why_not(self, why: WhyNot) -> None:
        from sleuth.render import rich_text as rendered

        self.why_not = why_not_here_first(why)
        whynot = self.query_one("#whynot", Static)
        whynot.update(rendered.why_not(self.why_not, self.units))
        self.call_after_refresh(whynot.scroll_visible, top=True, animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "causes" and self.diagnosis and self.diagnosis.causes:
            event.stop()
            self.show_cause(min(event.cursor_row, len(self.diagnosis.causes) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """``enter``: the selected cause, or one evidence row, in full and wrapped."""
        from sleuth.render import evidence_view
        from sleuth.render.rich_text import to_rich

        event.stop()
        cause = self.selected
        if self.diagnosis is None or cause is None:
            return
        from tui.app.screens.detail import DetailScreen

        if event.data_table.id == "causes":
            from sleuth.render.text import cause_lines

            rank = self.diagnosis.causes.index(cause) + 1
            body = to_rich(cause_lines(rank, cause, self.diagnosis, self.units))
            self.app.push_screen(DetailScreen(cause.title or cause.cause, body))
            return
        if 0 <= event.cursor_row < len(cause.evidence):
            ev = cause.evidence[event.cursor_row]
            text = to_rich([evidence_view(ev, self.units).line()])
            for label, extra in (("text", ev.text), ("source", ev.source)):
                if extra:
                    text.append(f"\n\n{label}: {extra}")
            self.app.push_screen(DetailScreen(f"Evidence: {ev.name}", text))
