"""Writing a diagnosis out of the UI, for the incident ticket or another tool.

JSON is the ``models.Diagnosis`` contract verbatim, so anything that reads
``sleuth diagnose --format json`` reads this too; Markdown is for humans and
carries the same facts: causes, evidence with values, the HOW chain and the
remediations.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from models import CauseFinding, Diagnosis

ExportFormat = Literal["markdown", "json"]
SUFFIX: dict[ExportFormat, str] = {"markdown": ".diagnosis.md", "json": ".diagnosis.json"}


def default_export_path(incident_path: Path, fmt: ExportFormat) -> Path:
    """Next to the incident, so the report travels with it."""
    stem = incident_path.stem if incident_path.suffix else incident_path.name
    return incident_path.parent / (stem + SUFFIX[fmt])


def _fmt_value(value: float | str | bool) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _cause_markdown(rank: int, cause: CauseFinding) -> list[str]:
    lines = [
        f"## {rank}. {cause.title or cause.cause} (`{cause.cause}`)",
        "",
        f"Certainty **{cause.certainty:.2f}**, score {cause.score:.2f}, "
        f"coverage {cause.coverage:.0%}, from {cause.source}.",
        "",
    ]
    if cause.evidence:
        lines += ["### Evidence", ""]
        for ev in cause.evidence:
            values = ", ".join(f"{k}={_fmt_value(v)}" for k, v in ev.values.items())
            text = f" — {ev.text}" if ev.text else ""
            lines.append(f"- {ev.kind} `{ev.name}` {values}{text}".rstrip())
        lines.append("")
    if cause.chain:
        lines += ["### How", ""]
        for firing in cause.chain:
            facts = ", ".join(f.name for f in firing.facts)
            lines.append(
                f"- rule `{firing.rule}` ({firing.pack or 'pack?'}) on {facts or 'no facts'}: "
                f"premise {firing.premise:.2f} → {firing.conclusion_kind} `{firing.concludes}` "
                f"at {firing.certainty:.2f}"
            )
        lines.append("")
    if cause.remediations:
        lines += ["### Remediation", ""]
        for rem in cause.remediations:
            desc = f": {rem.description}" if rem.description else ""
            lines.append(f"- [{rem.risk} risk] {rem.title}{desc}")
        lines.append("")
    return lines


def diagnosis_markdown(diagnosis: Diagnosis) -> str:
    """The report a DBA pastes into the incident ticket."""
    title = diagnosis.title or diagnosis.incident
    lines = [f"# Diagnosis: {title}", "", f"Incident `{diagnosis.incident}`, path: {diagnosis.path}."]
    if diagnosis.window is not None:
        inferred = " (inferred)" if diagnosis.window_inferred else ""
        lines.append(f"Anomaly window {diagnosis.window.start:g}–{diagnosis.window.end:g}{inferred}.")
    lines.append("")
    if not diagnosis.causes:
        lines += ["No cause was concluded.", ""]
    for rank, cause in enumerate(diagnosis.causes, start=1):
        lines += _cause_markdown(rank, cause)
    if diagnosis.errors:
        lines += ["## Errors", ""] + [f"- {e}" for e in diagnosis.errors] + [""]
    return "\n".join(lines)


def render(diagnosis: Diagnosis, fmt: ExportFormat) -> str:
    if fmt == "json":
        return diagnosis.model_dump_json(indent=2) + "\n"
    return diagnosis_markdown(diagnosis)


def export_diagnosis(diagnosis: Diagnosis, path: Path, fmt: ExportFormat) -> Path:
    """Write the report; parent directories must exist (a typo should fail, not create trees)."""
    path.write_text(render(diagnosis, fmt), encoding="utf-8")
    return path
