"""Diagnoses as text: the JSON-lines record, a terminal table, Markdown, HOW and WHY-NOT.

Plain strings (no Textual, no terminal codes) so the command line, reports
and tests share one rendering and pipes stay clean.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from models import CauseFinding, Diagnosis, Evidence, RuleFiring, WhyNot

NUMBER_KEYS = ("baseline", "anomaly", "ratio", "score", "peak", "confidence")
MAX_OBSERVATION_VALUES = 8
EPOCH_2001 = 1e9  # clocks past this are unix seconds; smaller ones are relative (DBSherlock)


def json_record(diagnosis: Diagnosis) -> dict[str, Any]:
    """The one-line JSON object of ``sleuth diagnose --format json``; causes best first."""
    record: dict[str, Any] = {
        "incident": diagnosis.incident,
        "path": diagnosis.path,
        "causes": [
            {
                "cause": c.cause,
                "certainty": c.certainty,
                "evidence": [e.model_dump(mode="json") for e in c.evidence],
                "rules": list(c.rules),
                "remediations": [r.model_dump(mode="json") for r in c.remediations],
            }
            for c in diagnosis.causes
        ],
        "elapsed_ms": diagnosis.elapsed_ms,
        "window_inferred": diagnosis.window_inferred,
    }
    if diagnosis.errors:
        record["errors"] = list(diagnosis.errors)
    return record


def table(diagnoses: list[Diagnosis]) -> str:
    """One row per incident: its best causes and how long it took."""
    header = f"{'incident':<32} {'path':<12} {'causes (certainty)':<60} {'ms':>8}"
    lines = [header, "-" * len(header)]
    for d in diagnoses:
        causes = ", ".join(f"{c.cause} ({c.certainty:.2f})" for c in d.causes[:3]) or "-"
        if len(d.causes) > 3:
            causes += f", +{len(d.causes) - 3}"
        lines.append(f"{d.incident:<32} {d.path:<12} {causes:<60} {d.elapsed_ms:>8.2f}")
        lines.extend(f"{'':<32} error: {e}" for e in d.errors)
    return "\n".join(lines)


def markdown(diagnosis: Diagnosis) -> str:
    """A section a DBA can paste into an incident ticket."""
    d = diagnosis
    title = f"## {d.incident}" + (f" — {d.title}" if d.title else "")
    window = _window(d)
    lines = [title, "", f"Diagnosed by **{d.path}** in {d.elapsed_ms:.1f} ms; {window}.", ""]
    if not d.causes:
        lines.append("No rule explained this incident.")
    for rank, c in enumerate(d.causes, start=1):
        lines += [
            f"### {rank}. {c.title or c.cause} (`{c.cause}`)",
            "",
            f"Certainty {c.certainty:.2f}, graph coverage {c.coverage:.2f}; rules: "
            + ", ".join(f"`{r}`" for r in c.rules),
            "",
        ]
        lines += [f"- {_evidence_line(e)}" for e in c.evidence]
        if c.remediations:
            lines += ["", "Remediation:", ""]
            lines += [
                f"{i}. **{r.title}** (risk: {r.risk})" + (f" — {r.description}" if r.description else "")
                for i, r in enumerate(c.remediations, start=1)
            ]
        lines.append("")
    lines += [f"> error: {e}" for e in d.errors]
    return "\n".join(lines).rstrip() + "\n"


def how_text(diagnosis: Diagnosis) -> str:
    """HOW for every concluded cause: the chain of rules, each with the facts and numbers it used."""
    d = diagnosis
    lines = [f"{d.incident}: {d.path}, {_window(d)}, {d.elapsed_ms:.1f} ms"]
    if not d.causes:
        lines.append("  no rule concluded a cause")
    for rank, c in enumerate(d.causes, start=1):
        lines.append(
            f"{rank}. {c.cause}  certainty {c.certainty:.2f}  score {c.score:.2f}  coverage {c.coverage:.2f}"
        )
        lines += _chain_lines(c)
        if c.remediations:
            lines.append("   remediation: " + "; ".join(f"{r.title} ({r.risk} risk)" for r in c.remediations))
    lines += [f"error: {e}" for e in d.errors]
    return "\n".join(lines)


def why_not_text(why: WhyNot) -> str:
    lines = [f"why not {why.cause}: {why.summary}"]
    for entry in why.rules:
        lines += _why_lines(entry, 1)
    return "\n".join(lines)


def _why_lines(entry: dict[str, Any], depth: int) -> list[str]:
    pad = "  " * depth
    lines = [
        f"{pad}rule {entry['rule']} ({entry['status']}, certainty {entry['certainty']}): {entry['title']}"
    ]
    for cond in entry["conditions"]:
        mark = "ok  " if cond["passed"] else "FAIL"
        lines.append(f"{pad}  {mark} {cond['group']:<4} {cond['condition']}: {_condition_detail(cond)}")
        for sub in cond.get("because", []):
            lines += _why_lines(sub, depth + 2)
    return lines


def _condition_detail(cond: dict[str, Any]) -> str:
    """What to show for one condition: the tests that decided it, not the ones that did not matter."""
    if cond["group"] == "none":
        if cond["passed"]:
            missed = [t for t in cond["failed_tests"] if not t.startswith("present=")]
            return "no match, as required" + (f" ({', '.join(missed)})" if missed else "")
        return "present, but must be absent" + (f" ({', '.join(cond['tests'])})" if cond["tests"] else "")
    shown = cond["tests"] if cond["passed"] else cond["failed_tests"]
    return ", ".join(shown) if shown else "present"


def _chain_lines(c: CauseFinding) -> list[str]:
    lines: list[str] = []
    for step in c.chain:
        lines.append(f"   {_step_head(step)}")
        lines += [f"       {_evidence_line(e)}" for e in step.facts]
    return lines


def _step_head(step: RuleFiring) -> str:
    arrow = "cause" if step.conclusion_kind == "cause" else "fact"
    return (
        f"rule {step.rule} => {arrow} {step.concludes} "
        f"(premise {step.premise:.2f} x rule = {step.certainty:.2f})"
    )


def _evidence_line(e: Evidence) -> str:
    if e.kind == "derived":
        return f"fact {e.name} (certainty {float(e.values.get('certainty', 0.0)):.2f})"
    if e.kind == "signal":
        keys = [k for k in NUMBER_KEYS if k in e.values and not isinstance(e.values[k], str)]
    else:  # observations carry their own attributes; show them all but the certainty
        keys = [k for k in e.values if k != "certainty"][:MAX_OBSERVATION_VALUES]
    numbers = ", ".join(f"{k}={_num(e.values[k])}" for k in keys)
    shape = e.values.get("shape") if e.kind == "signal" else None
    head = f"{e.kind} {e.name}" + (f" [{shape}]" if isinstance(shape, str) else "")
    text = f" — {e.text}" if e.text else ""
    return f"{head}: {numbers}{text}"


def _num(value: float | str | bool) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _window(d: Diagnosis) -> str:
    if d.window is None:
        return "no window"
    how = "inferred" if d.window_inferred else "given"
    return f"window {_clock(d.window.start)}..{_clock(d.window.end)} ({how})"


def _clock(t: float) -> str:
    if t >= EPOCH_2001:
        return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return f"{t:g}s"
