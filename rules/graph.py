"""The knowledge graph the rules check and rank against, when the caller names none."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph


def default_graph() -> KnowledgeGraph:
    """The shipped graph; imported on first use so loading rules for lint alone stays cheap."""
    from knowledge_graph import load_default_graph

    return load_default_graph()
