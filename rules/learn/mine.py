"""Per incident: DBSherlock's predicate for every metric, and the window-level facts rules will test.

Mining does not depend on which other incidents are learned from, so a
leave-one-out evaluation mines each incident once and only re-induces rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models import Fact
from rules.learn.examples import Example
from rules.learn.partitions import Predicate, extract_predicate
from rules.learn.rows import standardised_rows
from rules.signals import SignalError, extract_signals

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph


class MiningError(ValueError):
    """An example that cannot be learned from (no usable metrics, no window); the message says which."""


@dataclass(frozen=True)
class MinedIncident:
    """One example's predicates (by metric), and the signal facts the rules will see.

    The pipeline runs the rules once per window it measures (the labelled one,
    and parts of it where more metrics moved), so a rule fires on an incident
    when it fires on any of them: ``windows`` holds each one's facts by
    metric, the main window first, and precision is counted the same way.
    """

    example: Example
    predicates: dict[str, Predicate]
    windows: tuple[dict[str, Fact], ...]
    engine: str


def mine(example: Example, kg: KnowledgeGraph) -> MinedIncident:
    incident = example.incident
    if example.window is not None and incident.window is None:
        incident = incident.model_copy(update={"window": example.window})
    try:
        signals = extract_signals(incident, kg, infer_window=incident.window is None)
    except SignalError as exc:
        raise MiningError(f"{example.name}: {exc}") from None
    rows = standardised_rows(incident, signals.window, kg)
    predicates: dict[str, Predicate] = {}
    for i, metric in enumerate(rows.metrics):
        found = extract_predicate(metric, rows.z[i], rows.abnormal)
        if found is not None:
            predicates[metric] = found
    measured = [part.facts for part in signals.windows] or [signals.facts]
    return MinedIncident(
        example=example,
        predicates=predicates,
        windows=tuple({f.name: f for f in facts} for facts in measured),
        engine=incident.instance.engine,
    )
