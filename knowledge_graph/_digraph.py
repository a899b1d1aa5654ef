"""Typed nodes and directed edges in plain dictionaries, with ``networkx.DiGraph``'s semantics.

Diagnosing reads the graph through a few lookups; importing networkx costs
more CPU than loading and compiling the whole graph, so the graph is held here
and handed to networkx only for what needs its algorithms or formats (export,
``KnowledgeGraph.graph``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Edge = tuple[str, str, dict[str, Any]]


class Digraph:
    """Insertion-ordered like ``networkx.DiGraph``: adding an edge again updates its attributes,
    and an edge to a node not yet added adds that node without attributes."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self._succ: dict[str, dict[str, dict[str, Any]]] = {}
        self._pred: dict[str, dict[str, dict[str, Any]]] = {}
        self._added: list[tuple[str, str]] = []  # edges in the order first added

    def add_node(self, node: str, **attrs: Any) -> None:
        if node not in self.nodes:
            self.nodes[node] = {}
            self._succ[node] = {}
            self._pred[node] = {}
        self.nodes[node].update(attrs)

    def add_edge(self, src: str, dst: str, **attrs: Any) -> None:
        self.add_node(src)
        self.add_node(dst)
        data = self._succ[src].get(dst)
        if data is None:
            data = self._succ[src][dst] = self._pred[dst][src] = {}
            self._added.append((src, dst))
        data.update(attrs)

    def __contains__(self, node: object) -> bool:
        return node in self.nodes

    def out_edges(self, node: str) -> Iterator[Edge]:
        return ((node, dst, data) for dst, data in self._succ.get(node, {}).items())

    def in_edges(self, node: str) -> Iterator[Edge]:
        return ((src, node, data) for src, data in self._pred.get(node, {}).items())

    def edges(self) -> Iterator[Edge]:
        return ((src, dst, data) for src, succ in self._succ.items() for dst, data in succ.items())

    def to_networkx(self) -> Any:
        """The same graph as a frozen ``networkx.DiGraph``, built in the same order."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes.items())
        graph.add_edges_from((src, dst, self._succ[src][dst]) for src, dst in self._added)
        return nx.freeze(graph)
