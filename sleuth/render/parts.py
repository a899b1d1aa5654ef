"""What each piece of a diagnosis says, as ``Line`` values: the wording every renderer shares.

Each builder is small and takes the model object it shows, so a new field of
``models.Diagnosis`` gets its own builder here and its own section in the
renderers, without touching the others. ``units`` maps a metric to the unit of
its values (the knowledge graph's); a metric missing from it is shown as a
plain number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models import (
    CauseFinding,
    CheckReport,
    ConditionReport,
    Diagnosis,
    Evidence,
    Fact,
    HealthCheck,
    Remediation,
    RuleFiring,
    RuleReport,
    SimilarIncident,
    Subject,
    TimeWindow,
    TraceEvent,
    WhyNot,
)
from sleuth.render.lines import Line, Span, Style, line, name, strong
from sleuth.render.units import Unit, clock, duration, number, quantity, ratio, share, span

Units = Mapping[str, str]
NO_UNITS: Units = {}

MAX_OBSERVATION_VALUES = 8
"""An observation can carry dozens of attributes; the first few say what it is, the JSON has the rest."""

_IDENTIFIERS = ("id", "pid", "oid", "digest", "queryid", "rank", "port")
_KEY_UNITS = (
    ("_ms", Unit("seconds", 1e-3)),
    ("_seconds", Unit("seconds")),
    ("_s", Unit("seconds")),
    ("_bytes", Unit("bytes")),
    ("_kb", Unit("bytes", 1024.0)),
    ("_mb", Unit("bytes", 1024.0**2)),
    ("_gb", Unit("bytes", 1024.0**3)),
    ("_pct", Unit("percent")),
    ("_percent", Unit("percent")),
)


# ---- numbers named by their key ----------------------------------------------------------------


def value(key: str, raw: float | str | bool) -> str:
    """An attribute of an observation or a blamed subject, in the unit its name says (``mean_ms``, ``size_bytes``).

    Fractions named ``share`` are percentages; identifiers (``pid``, ``digest``) are never rounded.
    """
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return raw
    key = key.lower()
    if key in _IDENTIFIERS or key.endswith(("_id", "_pid")):
        return str(int(raw)) if math.isfinite(raw) and raw == int(raw) else number(raw)
    if "share" in key:
        return share(raw)
    for suffix, unit in _KEY_UNITS:
        if key.endswith(suffix) or key == suffix[1:]:
            return quantity(raw, unit)
    return number(raw)


def values_text(values: Mapping[str, float | str | bool], skip: Sequence[str] = ("certainty",)) -> str:
    shown = [(k, v) for k, v in values.items() if k not in skip][:MAX_OBSERVATION_VALUES]
    return ", ".join(f"{k}={value(k, v)}" for k, v in shown)


# ---- signals and evidence ----------------------------------------------------------------------


def _num(values: Mapping[str, float | str | bool], key: str) -> float | None:
    raw = values.get(key)
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def change(values: Mapping[str, float | str | bool], unit: str = "") -> str:
    """``1.5/s → 40/s (×26.7, z 12.5, peak 41/s)``: normal against the window, the comparison a DBA makes.

    The ratio is the two medians' own, so a baseline of 0 reads ``from 0``.
    """
    baseline, anomaly = _num(values, "baseline"), _num(values, "anomaly")
    if baseline is None or anomaly is None:
        return values_text(values)
    notes = [ratio(baseline, anomaly)]
    score, peak = _num(values, "score"), _num(values, "peak")
    if score is not None:
        notes.append(f"z {number(score)}")
    if peak is not None:
        notes.append(f"peak {quantity(peak, unit)}")
    return f"{quantity(baseline, unit)} → {quantity(anomaly, unit)} ({', '.join(notes)})"


def shape(values: Mapping[str, float | str | bool]) -> str:
    """``level shift, up``: how a signal moved, in words."""
    form, direction = values.get("shape"), values.get("direction")
    words = [str(form).replace("_", " ")] if isinstance(form, str) else []
    if isinstance(direction, str) and direction != "none":
        words.append(direction)
    return ", ".join(words)


@dataclass(frozen=True)
class EvidenceView:
    """One fact a conclusion rests on: what it is, its numbers, and a note (a signal's shape, else its text)."""

    kind: str
    name: str
    values: str
    note: str

    def line(self) -> Line:
        if self.kind == "signal":
            note = f" ({self.note})" if self.note else ""
            return line(f"{self.kind} ", name(self.name), f"{note}: {self.values}")
        text = Span(f" — {self.note}", "dim") if self.note else Span("")
        values = f": {self.values}" if self.values else ""
        return line(f"{self.kind} ", name(self.name), values, text)


def evidence(e: Evidence, units: Units = NO_UNITS) -> EvidenceView:
    """A signal's numbers come from its values (its text repeats them unformatted); others keep their text."""
    if e.kind == "signal":
        return EvidenceView(e.kind, e.name, change(e.values, units.get(e.name, "")), shape(e.values))
    if e.kind == "derived":
        certainty = _num(e.values, "certainty")
        return EvidenceView("fact", e.name, f"certainty {certainty or 0.0:.2f}", "")
    return EvidenceView(e.kind, e.name, values_text(e.values), e.text)


def evidence_lines(cause: CauseFinding, units: Units = NO_UNITS) -> list[Line]:
    return [evidence(e, units).line() for e in cause.evidence]


@dataclass(frozen=True)
class SignalRow:
    """A signal as a table row, every cell already in its unit."""

    metric: str
    shape: str
    baseline: str
    anomaly: str
    change: str
    score: str
    confidence: str


SIGNAL_HEADERS = ("Metric", "Shape", "Normally", "In window", "Change", "z", "Confidence")


def signal_row(fact: Fact, units: Units = NO_UNITS) -> SignalRow:
    unit = units.get(fact.name, "")
    a = fact.attrs
    baseline, anomaly = _num(a, "baseline"), _num(a, "anomaly")
    score, confidence = _num(a, "score"), _num(a, "confidence")
    return SignalRow(
        fact.name,
        shape(a),
        quantity(baseline, unit) if baseline is not None else "",
        quantity(anomaly, unit) if anomaly is not None else "",
        ratio(baseline, anomaly) if baseline is not None and anomaly is not None else "",
        number(score) if score is not None else "",
        f"{confidence:.2f}" if confidence is not None else "",
    )


def moved(signals: Sequence[Fact]) -> list[Fact]:
    """The signals that moved, most confident first: the flat ones are the background, not the story."""
    changed = [f for f in signals if f.kind == "signal" and f.attrs.get("direction") not in (None, "none")]
    return sorted(changed, key=lambda f: -float(_num(f.attrs, "confidence") or 0.0))


# ---- a diagnosis ---------------------------------------------------------------------------------


def window_phrase(window: TimeWindow | None, inferred: bool = False) -> str:
    if window is None:
        return "no anomaly window"
    return f"window {span(window.start, window.end)}, {'inferred' if inferred else 'given'}"


def headline(d: Diagnosis) -> str:
    """``rules, window 2025-11-23 12:20:50 – 12:25:40 UTC (290 s), given``: how and on what it was diagnosed."""
    return f"{d.path}, {window_phrase(d.window, d.window_inferred)}"


def cause_heading(rank: int, c: CauseFinding) -> Line:
    title = f"{rank}. {c.title or c.cause}"
    return line(strong(title), " (", name(c.cause), ")") if c.title else line(strong(title))


def cause_figures(c: CauseFinding) -> str:
    """``certainty 0.86, score 0.91, graph coverage 75%, from rules``."""
    by = "the planner" if c.source == "llm" else c.source
    return f"certainty {c.certainty:.2f}, score {c.score:.2f}, graph coverage {c.coverage:.0%}, from {by}"


def cause_window(c: CauseFinding, d: Diagnosis) -> str:
    """The cause's own window, when it differs from the incident's (a compound incident's second cause)."""
    if c.window is None or c.window == d.window:
        return ""
    return f"measured on {window_phrase(c.window)}"


def step(s: RuleFiring) -> Line:
    """``rule lock_waits_up [mysql_locks] on row_lock_waits ⇒ fact lock_pressure (premise 0.90 → 0.81)``."""
    facts = ", ".join(f.name for f in s.facts)
    return line(
        "rule ",
        name(s.rule),
        f" [{s.pack}]" if s.pack else "",
        f" on {facts}" if facts else "",
        f" ⇒ {s.conclusion_kind} ",
        name(s.concludes),
        f" (premise {s.premise:.2f} → {s.certainty:.2f})",
    )


def how_lines(c: CauseFinding) -> list[Line]:
    """The chain of rules, prerequisites first; a cause without one says who concluded it."""
    if c.chain:
        return [step(s) for s in c.chain]
    if c.rules:
        return [line("rules: ", *_joined([name(r) for r in c.rules]))]
    return [
        line(Span(f"no rule chain: concluded by the {'planner' if c.source == 'llm' else c.source}", "dim"))
    ]


def _joined(spans: Sequence[Span], sep: str = ", ") -> list[Span]:
    out: list[Span] = []
    for i, s in enumerate(spans):
        if i:
            out.append(Span(sep))
        out.append(s)
    return out


_RISK_STYLE: dict[str, Style] = {"low": "risk_low", "medium": "risk_medium", "high": "risk_high"}


def remediation(rank: int, r: Remediation) -> list[Line]:
    """``1. Add the missing index (medium risk) — …`` and, beneath, the SQL to consider (never run)."""
    head = Line(
        (
            strong(r.title),
            Span(" ("),
            Span(f"{r.risk} risk", _RISK_STYLE[r.risk]),
            Span(")"),
            *((Span(f" — {r.description}"),) if r.description else ()),
        ),
        number=rank,
    )
    return [head, *(line(Span(sql, "sql"), depth=1) for sql in r.statements)]


def remediation_lines(c: CauseFinding) -> list[Line]:
    if not c.remediations:
        return [line(Span("no remediation in the knowledge graph", "dim"))]
    return [ln for i, r in enumerate(c.remediations, start=1) for ln in remediation(i, r)]


def subject(s: Subject) -> Line:
    """What a cause blames: ``statement 77de on public.orders: SELECT … (calls=9K, mean_ms=900 ms)``."""
    numbers = values_text(s.values, skip=())
    tail = f" ({numbers})" if numbers else ""
    if s.kind == "statement":
        where = (" on ", name(s.table)) if s.table else ()
        return line("statement ", name(s.name), *where, ": ", Span(s.text, "sql"), tail)
    if s.kind == "index":
        cols = f" ({', '.join(s.columns)})" if s.columns else ""
        return line("index ", name(s.name), " on ", name(s.table or "?"), cols, tail)
    cols = f" ({', '.join(s.columns)})" if s.columns else ""
    return line("table ", name(s.name), cols, tail)


def subject_lines(c: CauseFinding) -> list[Line]:
    return [subject(s) for s in c.subjects]


# ---- beyond the causes -----------------------------------------------------------------------------


def health_lines(h: HealthCheck, units: Units = NO_UNITS) -> list[Line]:
    """The test behind a healthy (or not) answer, and the largest departure it saw."""
    verdict = "nothing abnormal" if h.healthy else "a segment differs from the rest"
    lines = [
        line(
            strong(verdict),
            f": statistic {number(h.statistic)} against threshold {number(h.threshold)}, p {number(h.p_value)}"
            f" ({h.metrics} metrics × {h.samples} samples, {h.resamples} resamples; {h.method})",
        )
    ]
    if h.strongest is not None:
        s = h.strongest
        unit = units.get(s.metric, "")
        lines.append(
            line(
                "largest deviation: ",
                name(s.metric),
                f" {quantity(s.baseline, unit)} → {quantity(s.anomaly, unit)} (z {number(s.score)}) over "
                f"{span(s.window.start, s.window.end)}",
            )
        )
    return lines


def healthy_summary(h: HealthCheck) -> str:
    """One table cell for a healthy capture: nothing abnormal, and the largest departure seen."""
    if h.strongest is None:
        return f"nothing abnormal (p {number(h.p_value)})"
    s = h.strongest
    return f"nothing abnormal (p {number(h.p_value)}); largest: {s.metric} z {number(s.score)}"


def windows_lines(windows: Sequence[TimeWindow]) -> list[Line]:
    return [line(span(w.start, w.end)) for w in windows]


def similar_line(s: SimilarIncident) -> Line:
    """``#12 orders-lock-0611 (similarity 0.93): confirmed lock_contention — note``."""
    confirmed = ", ".join(s.causes) or "no cause confirmed"
    when = f", recorded {clock(s.recorded_at)}" if s.recorded_at is not None else ""
    note = f" — {s.note}" if s.note else ""
    return line(
        f"#{s.record} ", name(s.incident), f" (similarity {s.similarity:.2f}{when}): {confirmed}{note}"
    )


def trace_line(e: TraceEvent) -> Line:
    """One model or tool call of an investigation: what, how long, and its error if it failed."""
    tokens = (
        f", {e.prompt_tokens}+{e.completion_tokens} tokens"
        if e.prompt_tokens is not None and e.completion_tokens is not None
        else ""
    )
    status = Span("ok", "ok") if e.ok else Span(f"failed: {e.error or 'no reason given'}", "fail")
    return line(f"{e.kind} ", name(e.name), f" {duration(e.elapsed_ms / 1000.0)}{tokens}: ", status)


def labels_phrase(d: Diagnosis) -> str:
    """The true causes an evaluation set carries; empty for an unlabelled incident."""
    if d.labels:
        return "labelled " + ", ".join(d.labels)
    return "labelled healthy" if d.label_healthy else ""


# ---- WHY NOT -----------------------------------------------------------------------------------------


def why_not_summary(why: WhyNot) -> str:
    return why.summary or ("no rule concludes this cause" if not why.rules else "see the rules below")


def why_not_head(why: WhyNot) -> Line:
    return line(strong("why not "), name(why.cause), f": {why_not_summary(why)}")


_OPS = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "eq": "=", "ne": "≠", "in": "in", "is": "is"}
_SIGNAL_MAGNITUDES = ("baseline", "anomaly", "delta", "peak")
_PLAIN_FIELDS = (*_SIGNAL_MAGNITUDES, "ratio", "score", "confidence", "certainty")


def _subject(c: ConditionReport) -> tuple[str, str]:
    """(``signal``, ``cpu_user``) from ``signal cpu_user``."""
    kind, _, subject = c.condition.partition(" ")
    return kind, subject


def _checked(field: str, raw: float | bool | str | list[str] | None, unit: str) -> str:
    if raw is None:
        return "missing"
    if isinstance(raw, list):
        return "[" + ", ".join(raw) + "]"
    if isinstance(raw, bool | str) or field not in _PLAIN_FIELDS:
        return value(field, raw)
    return quantity(raw, unit) if field in _SIGNAL_MAGNITUDES else number(raw)


def check_phrase(chk: CheckReport, unit: str = "") -> str:
    """``anomaly=150M rows/s (needs ≥ 10K rows/s)``: a test with the value seen, in the metric's unit."""
    seen, expected = _checked(chk.field, chk.seen, unit), _checked(chk.field, chk.expected, unit)
    return f"{chk.field}={seen} (needs {_OPS.get(chk.op, chk.op)} {expected})"


def _tests(c: ConditionReport, unit: str, *, failed: bool) -> list[str]:
    if c.checks:
        return [check_phrase(t, unit) for t in c.checks if not (failed and t.passed)]
    return list(c.failed_tests if failed else c.tests)


def condition_detail(c: ConditionReport, units: Units = NO_UNITS) -> str:
    """The tests that decided a condition; a ``none`` condition holds when no fact matches it."""
    unit = units.get(_subject(c)[1], "")
    if c.group == "none":
        if c.passed:
            missed = [t for t in _tests(c, unit, failed=True) if not t.startswith("present=")]
            return "absent, as required" + (f" ({', '.join(missed)})" if missed else "")
        tests = _tests(c, unit, failed=False)
        return "present, but must be absent" + (f" ({', '.join(tests)})" if tests else "")
    shown = _tests(c, unit, failed=not c.passed)
    return ", ".join(shown) if shown else "present"


def rule_report(r: RuleReport, depth: int = 0, units: Units = NO_UNITS) -> list[Line]:
    """A rule's status, then each condition marked ✓ or ✗, then the rules behind a derived fact that did not hold.

    A signal's own sentence is left out: it repeats the numbers the tests already show, in units.
    """
    out = [
        line(
            "rule ",
            name(r.rule),
            f" [{r.pack}]" if r.pack else "",
            f" ({r.status}, CF {r.certainty:.2f})",
            f": {r.title}" if r.title else "",
            depth=depth,
        )
    ]
    for c in r.conditions:
        mark = Span("✓", "ok") if c.passed else Span("✗", "fail")
        detail = condition_detail(c, units)
        out.append(line(mark, f" {c.group} {c.condition}: {detail}", depth=depth + 1))
        if c.text and _subject(c)[0] != "signal":
            out.append(line(Span(c.text, "dim"), depth=depth + 2))
        for sub in c.because:
            out += rule_report(sub, depth + 2, units)
    return out


def why_not_lines(why: WhyNot, units: Units = NO_UNITS) -> list[Line]:
    return [why_not_head(why), *(ln for r in why.rules for ln in rule_report(r, 1, units))]
