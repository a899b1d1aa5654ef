"""The Markdown report of a diagnosis: what ``sleuth diagnose --format markdown`` prints and the UI exports.

A report is a sequence of sections, each a small function of the diagnosis
that returns its blocks (nothing when its field is empty); a new field of the
model gets a new function in ``SECTIONS``. Text that comes from an incident
(statement text, log lines, titles) is data: it is escaped or put in code
spans, so it can never turn into links, HTML or headings in a rendered ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from models import CauseFinding, Diagnosis, WhyNot
from sleuth.render import parts
from sleuth.render.lines import Line, Span

_ESCAPED = re.compile(r"[\\`*|]|<(?=[A-Za-z/!?])|\](?=[(\[:])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_BLOCK_START = re.compile(r"^(?:[#>+=-]|\d+(?=[.)](?:\s|$)))")


def escape(text: str) -> str:
    """Plain text that renders as itself: emphasis, links, tags and table pipes are escaped."""
    return _ESCAPED.sub(lambda m: "\\" + m.group(0), text.replace("\n", " "))


def _line_start(markdown: str) -> str:
    """A line that would open a heading, quote or list when it starts with data, escaped."""
    start = _BLOCK_START.match(markdown)
    if start is None:
        return markdown
    # punctuation takes a backslash; a number that would open a list escapes the dot after it
    cut = start.end() if markdown[0].isdigit() else 0
    return f"{markdown[:cut]}\\{markdown[cut:]}"


def code(text: str) -> str:
    """Inline code that survives backticks in the text (MySQL quotes identifiers with them)."""
    flat = text.replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or longest else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def _span(s: Span, *, emphasis: bool = True) -> str:
    if s.style in ("name", "sql"):
        return code(s.text)
    if s.style == "strong" and emphasis:
        return f"**{escape(s.text)}**"
    return escape(s.text)


def inline(spans: Sequence[Span], *, emphasis: bool = True) -> str:
    """Spans as Markdown that starts a line: data cannot open a heading, quote or list."""
    return _line_start("".join(_span(s, emphasis=emphasis) for s in spans))


def _is_sql(ln: Line) -> bool:
    return len(ln.spans) == 1 and ln.spans[0].style == "sql"


def _fence(statements: Sequence[str], pad: str) -> list[str]:
    """A ``sql`` block a DBA reviews before running anything (sleuth never runs it)."""
    longest = max((len(run) for sql in statements for run in re.findall(r"`{3,}", sql)), default=2)
    ticks = "`" * (longest + 1)
    body = [f"{pad}{row}" for sql in statements for row in f"{sql.rstrip().rstrip(';')};".splitlines()]
    return [f"{pad}{ticks}sql", *body, f"{pad}{ticks}"]


def bullets(lines: Sequence[Line]) -> str:
    """Nested Markdown list items; a numbered line is an ordered item, SQL lines become a code block."""
    out: list[str] = []
    columns: list[int] = []  # the content column of the last item at each depth
    sql: list[str] = []

    def flush(pad: str) -> None:
        if sql:
            out.extend(["", *_fence(sql, pad), ""])
            sql.clear()

    for ln in lines:
        depth = min(ln.depth, len(columns))
        pad = " " * (columns[depth - 1] if depth else 0)
        if _is_sql(ln):
            sql.append(ln.spans[0].text)
            continue
        flush(pad)
        marker = ln.marker or "- "
        out.append(f"{pad}{marker}{inline(ln.spans)}")
        del columns[depth:]
        columns.append(len(pad) + len(marker))
    flush(" " * (columns[-1] if columns else 0))
    return "\n".join(out).strip("\n")


# ---- sections --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportContext:
    """What a report needs beyond the diagnosis: the metrics' units and the WHY NOT answers asked for."""

    units: parts.Units = field(default_factory=dict)
    why_not: tuple[WhyNot, ...] = ()


Section = Callable[[Diagnosis, ReportContext], list[str]]


_VERDICT = {
    "rules": "Diagnosed by **rules**",
    "llm": "Diagnosed by **the planner**",
    "inconclusive": "**Inconclusive**",
    "healthy": "**Healthy**",
}


def title_section(d: Diagnosis, _ctx: ReportContext) -> list[str]:
    heading = f"## {escape(d.incident)}" + (f" — {escape(d.title)}" if d.title else "")
    window = parts.window_phrase(d.window, d.window_inferred)
    labels = parts.labels_phrase(d)
    status = f"{_VERDICT[d.path]}; {escape(window)}" + (f"; {escape(labels)}" if labels else "") + "."
    return [heading, status]


def health_section(d: Diagnosis, ctx: ReportContext) -> list[str]:
    if d.health is None:
        return []
    return ["### Health", bullets(parts.health_lines(d.health, ctx.units))]


def windows_section(d: Diagnosis, _ctx: ReportContext) -> list[str]:
    """Every abnormal segment, when there is more than the one window above."""
    if not d.windows or d.windows == ([d.window] if d.window else []):
        return []
    return ["### Abnormal windows", bullets(parts.windows_lines(d.windows))]


def _labelled(label: str, lines: list[Line]) -> list[str]:
    return [f"{label}:", bullets(lines)] if lines else []


def cause_section(rank: int, c: CauseFinding, d: Diagnosis, ctx: ReportContext) -> list[str]:
    figures = parts.cause_figures(c)
    window = parts.cause_window(c, d)
    about = escape(figures[0].upper() + figures[1:]) + (f"; {escape(window)}" if window else "") + "."
    return [
        "### " + "".join(_span(s, emphasis=False) for s in parts.cause_heading(rank, c).spans),
        about,
        *_labelled("Evidence", parts.evidence_lines(c, ctx.units)),
        *_labelled("How", parts.how_lines(c)),
        *_labelled("Blamed", parts.subject_lines(c)),
        *_labelled("Remediation", parts.remediation_lines(c)),
    ]


def causes_section(d: Diagnosis, ctx: ReportContext) -> list[str]:
    if not d.causes:
        return [
            "No anomaly: the capture looks healthy." if d.path == "healthy" else "No cause was concluded."
        ]
    return [block for rank, c in enumerate(d.causes, start=1) for block in cause_section(rank, c, d, ctx)]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def signals_section(d: Diagnosis, ctx: ReportContext) -> list[str]:
    """The signals that moved, as a table: the numbers behind every cause, and those no cause used."""
    moved = parts.moved(d.signals)
    if not moved:
        return []
    rows = [parts.signal_row(f, ctx.units) for f in moved]
    table = [
        _row(parts.SIGNAL_HEADERS),
        _row(["---"] + [":--"] + ["--:"] * (len(parts.SIGNAL_HEADERS) - 2)),
        *(
            _row([code(r.metric), r.shape, r.baseline, r.anomaly, r.change, r.score, r.confidence])
            for r in rows
        ),
    ]
    return ["### Signals that moved", "\n".join(table)]


def why_not_section(_d: Diagnosis, ctx: ReportContext) -> list[str]:
    blocks: list[str] = []
    for why in ctx.why_not:
        blocks += [f"### Why not {code(why.cause)}", _line_start(escape(parts.why_not_summary(why))) + "."]
        rules = [ln for r in why.rules for ln in parts.rule_report(r, 0, ctx.units)]
        if rules:
            blocks.append(bullets(rules))
    return blocks


def similar_section(d: Diagnosis, _ctx: ReportContext) -> list[str]:
    if not d.similar:
        return []
    return ["### Similar past incidents", bullets([parts.similar_line(s) for s in d.similar])]


def trace_section(d: Diagnosis, _ctx: ReportContext) -> list[str]:
    calls = [e for e in d.trace if e.kind in ("model", "tool")]
    if not calls:
        return []
    return ["### Investigation", bullets([parts.trace_line(e) for e in calls])]


def errors_section(d: Diagnosis, _ctx: ReportContext) -> list[str]:
    if not d.errors:
        return []
    return ["### Errors", "\n".join(f"- {_line_start(escape(e))}" for e in d.errors)]


SECTIONS: tuple[Section, ...] = (
    title_section,
    health_section,
    windows_section,
    causes_section,
    signals_section,
    why_not_section,
    similar_section,
    trace_section,
    errors_section,
)


def report(d: Diagnosis, *, units: parts.Units = parts.NO_UNITS, why_not: Sequence[WhyNot] = ()) -> str:
    """The whole report, one block per paragraph, list or table."""
    ctx = ReportContext(dict(units), tuple(why_not))
    return "\n\n".join(block for section in SECTIONS for block in section(d, ctx)) + "\n"
