"""The slice of the knowledge graph the rules package uses, as a Protocol.

Depending on this narrow view instead of the concrete ``KnowledgeGraph`` lets
the tests run the engine against a tiny in-memory graph, and documents exactly
what the rules need from the graph team.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from models import Fact, Remediation


class RankedCauseView(Protocol):
    @property
    def cause(self) -> str: ...
    @property
    def certainty(self) -> float: ...
    @property
    def coverage(self) -> float: ...
    @property
    def score(self) -> float: ...


class GraphView(Protocol):
    def has_cause(self, cause_id: str) -> bool: ...
    def has_metric(self, metric_id: str) -> bool: ...
    def title(self, node_id: str) -> str: ...
    def remediations(self, cause_id: str) -> list[Remediation]: ...
    def rank(self, certainties: dict[str, float], signals: list[Fact]) -> Sequence[RankedCauseView]: ...


def default_graph() -> GraphView:
    """The shipped graph; imported late so loading rules for lint alone stays cheap."""
    from knowledge_graph import load_default_graph

    graph: GraphView = load_default_graph()
    return graph
