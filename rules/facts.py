"""Everything the engine reasons over for one incident: its signal facts and its observations.

Shared by the pipeline and by WHY-NOT, so an explanation re-derives exactly
the facts the diagnosis saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models import Fact, Incident, TimeWindow
from rules.observations import observe
from rules.signals import SignalSet, extract_signals

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph


@dataclass(frozen=True)
class IncidentFacts:
    signals: SignalSet
    observations: list[Fact]

    @property
    def all(self) -> list[Fact]:
        return [*self.signals.facts, *self.observations]


def incident_facts(incident: Incident, kg: KnowledgeGraph, *, infer_window: bool = False) -> IncidentFacts:
    """Signals (raises ``rules.signals.SignalError`` without usable metrics) and observations."""
    signals = extract_signals(incident, kg, infer_window=infer_window)
    return IncidentFacts(signals, observe(incident, signals.window, signals.facts))


def incident_observations(
    incident: Incident, window: TimeWindow | None = None, signals: Sequence[Fact] = ()
) -> list[Fact]:
    """Observation facts from the incident's statements, locks, events, settings and instance."""
    return observe(incident, window, signals)
