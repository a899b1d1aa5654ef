"""Every way sleuth shows a diagnosis: terminal text, Markdown, JSON and the UI's Rich text.

One family of renderers over one intermediate form (``lines``) and one
formatting module (``units``), so the command line, the exported report and
the terminal UI say the same thing in the same words and the same units.
The Rich pieces are in ``sleuth.render.rich_text`` (imported by the UI only).
The renderers load on first use: printing one JSON line needs none of the
text, Markdown or evaluation-table machinery.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from models import Diagnosis, RuleReport, WhyNot

if TYPE_CHECKING:
    from rules.evaluation import format_table as evaluation_table
    from sleuth import Sleuth
    from sleuth.render.markdown_report import report as markdown
    from sleuth.render.parts import (
        NO_UNITS,
        SIGNAL_HEADERS,
        EvidenceView,
        SignalRow,
        Units,
        signal_row,
        window_phrase,
    )
    from sleuth.render.parts import evidence as evidence_view
    from sleuth.render.records import diagnosis_json, json_record
    from sleuth.render.text import how_text, incident_summary, table, table_header, table_row, why_not_text

# name -> (module, name there)
_LAZY: dict[str, tuple[str, str]] = {
    "NO_UNITS": ("sleuth.render.parts", "NO_UNITS"),
    "SIGNAL_HEADERS": ("sleuth.render.parts", "SIGNAL_HEADERS"),
    "EvidenceView": ("sleuth.render.parts", "EvidenceView"),
    "SignalRow": ("sleuth.render.parts", "SignalRow"),
    "Units": ("sleuth.render.parts", "Units"),
    "signal_row": ("sleuth.render.parts", "signal_row"),
    "window_phrase": ("sleuth.render.parts", "window_phrase"),
    "evidence_view": ("sleuth.render.parts", "evidence"),
    "diagnosis_json": ("sleuth.render.records", "diagnosis_json"),
    "json_record": ("sleuth.render.records", "json_record"),
    "how_text": ("sleuth.render.text", "how_text"),
    "incident_summary": ("sleuth.render.text", "incident_summary"),
    "table": ("sleuth.render.text", "table"),
    "table_header": ("sleuth.render.text", "table_header"),
    "table_row": ("sleuth.render.text", "table_row"),
    "why_not_text": ("sleuth.render.text", "why_not_text"),
    "evaluation_table": ("rules.evaluation", "format_table"),
    "markdown": ("sleuth.render.markdown_report", "report"),
}


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'sleuth.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value  # later lookups find it without coming back here
    return value


def metric_units(app: Sleuth, shown: Iterable[Diagnosis | WhyNot]) -> dict[str, str]:
    """The unit of every metric the diagnoses and WHY-NOT answers show, from the knowledge graph.

    A metric the graph does not know has no entry and is shown as a plain number.
    """
    graph = app.graph
    names: set[str] = set()
    for item in shown:
        if isinstance(item, WhyNot):
            names |= _condition_subjects(item.rules)
        else:
            names |= {f.name for f in item.signals}
            names |= {e.name for c in item.causes for e in c.evidence if e.kind == "signal"}
            if item.health is not None and item.health.strongest is not None:
                names.add(item.health.strongest.metric)
    return {n: graph.metric_info(n).unit for n in sorted(names) if graph.has_metric(n)}


def _condition_subjects(reports: Iterable[RuleReport]) -> set[str]:
    names: set[str] = set()
    for r in reports:
        for c in r.conditions:
            kind, _, subject = c.condition.partition(" ")
            if kind == "signal":
                names.add(subject)
            names |= _condition_subjects(c.because)
    return names


__all__ = [
    "NO_UNITS",
    "SIGNAL_HEADERS",
    "EvidenceView",
    "SignalRow",
    "Units",
    "diagnosis_json",
    "evaluation_table",
    "evidence_view",
    "how_text",
    "incident_summary",
    "json_record",
    "markdown",
    "metric_units",
    "signal_row",
    "table",
    "table_header",
    "table_row",
    "why_not_text",
    "window_phrase",
]
