"""Diagnoses as plain text for the terminal: the ``diagnose`` table, HOW, WHY NOT and an incident's summary.

No terminal codes, so pipes and logs stay clean.
"""

from __future__ import annotations

from models import CauseFinding, Diagnosis, Incident, WhyNot
from sleuth.render import parts
from sleuth.render.lines import Line, line, nest, to_text
from sleuth.render.units import duration, span

_INCIDENT, _PATH, _TIME = 32, 12, 9
MAX_TABLE_CAUSES = 3


def table_header() -> str:
    """The table's head; every column but the last has a fixed width, so rows print as incidents finish."""
    header = f"{'incident':<{_INCIDENT}} {'path':<{_PATH}} {'time':>{_TIME}}  causes (certainty)"
    return f"{header}\n{'-' * len(header)}"


def table_row(d: Diagnosis) -> str:
    """One incident: how, how long, and its best causes last (the only column of unbounded width)."""
    causes = ", ".join(f"{c.cause} ({c.certainty:.2f})" for c in d.causes[:MAX_TABLE_CAUSES]) or "-"
    if d.path == "healthy" and d.health is not None:
        causes = parts.healthy_summary(d.health)
    if len(d.causes) > MAX_TABLE_CAUSES:
        causes += f", +{len(d.causes) - MAX_TABLE_CAUSES}"
    took = duration(d.elapsed_ms / 1000.0)
    lines = [f"{d.incident:<{_INCIDENT}} {d.path:<{_PATH}} {took:>{_TIME}}  {causes}"]
    lines.extend(f"{'':<{_INCIDENT}} error: {e}" for e in d.errors)
    lines.extend(f"{'':<{_INCIDENT}} like {to_text([parts.similar_line(s)])}" for s in d.similar)
    return "\n".join(lines)


def table(diagnoses: list[Diagnosis]) -> str:
    return "\n".join([table_header(), *(table_row(d) for d in diagnoses)])


def how_lines(d: Diagnosis, units: parts.Units = parts.NO_UNITS) -> list[Line]:
    """Per concluded cause: its figures, the evidence with numbers, the rule chain, what it blames, what to do."""
    out = [line(d.incident, f": {parts.headline(d)}, {duration(d.elapsed_ms / 1000.0)}")]
    if not d.causes:
        out.append(line("no rule concluded a cause", depth=1))
    for rank, c in enumerate(d.causes, start=1):
        out += cause_lines(rank, c, d, units)
    out += [line(f"error: {e}") for e in d.errors]
    return out


def cause_lines(rank: int, c: CauseFinding, d: Diagnosis, units: parts.Units = parts.NO_UNITS) -> list[Line]:
    """One cause told in full (``explain``'s section, the UI's detail view): figures, window,
    evidence, the rule chain, what it blames, what to do."""
    out = [line(*parts.cause_heading(rank, c).spans, f": {parts.cause_figures(c)}")]
    window = parts.cause_window(c, d)
    if window:
        out.append(line(window, depth=1))
    for title, body in (
        ("evidence", parts.evidence_lines(c, units)),
        ("how", parts.how_lines(c)),
        ("blames", parts.subject_lines(c)),
        ("remediation", parts.remediation_lines(c)),
    ):
        if body:
            out.append(line(f"{title}:", depth=1))
            out += nest(body, 2)
    return out


def how_text(d: Diagnosis, units: parts.Units = parts.NO_UNITS) -> str:
    """``sleuth explain``: HOW every cause was concluded."""
    return to_text(how_lines(d, units))


def why_not_text(why: WhyNot, units: parts.Units = parts.NO_UNITS) -> str:
    """``sleuth explain --why-not``: per rule that could have concluded the cause, what failed."""
    return to_text(parts.why_not_lines(why, units))


def incident_summary(incident: Incident) -> str:
    """``sleuth summary``: one paragraph per incident, before any diagnosis."""
    inst = incident.instance
    samples = max((len(m.timestamps) for m in incident.metrics), default=0)
    window = f"window {span(incident.window.start, incident.window.end)}" if incident.window else "no window"
    extras = [
        f"{len(items)} {what}"
        for items, what in (
            (incident.events, "events"),
            (incident.top_sql, "SQL digests"),
            (incident.statements, "statements"),
            (incident.tables, "tables"),
            (incident.plans, "plans"),
            (incident.lock_waits, "lock waits"),
            (incident.logs, "log lines"),
        )
        if items
    ]
    version = f" {inst.version}" if inst.version else ""
    out = [
        f"{incident.id}: {incident.title or '(untitled)'}",
        f"  {inst.engine}{version}, {len(incident.metrics)} metrics x {samples} samples, {window}",
    ]
    if extras:
        out.append(f"  {', '.join(extras)}")
    if incident.labels or incident.label_healthy:
        out.append(f"  labelled: {', '.join(incident.labels) or 'healthy'}")
    return "\n".join(out)
