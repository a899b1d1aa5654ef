"""The graph's plain-dict store behaves as networkx.DiGraph does for every operation the graph uses."""

from __future__ import annotations

from typing import Any

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from knowledge_graph import load_default_graph
from knowledge_graph._digraph import Digraph

NODES = st.sampled_from(["a", "b", "c", "d", "e"])
ATTRS = st.dictionaries(st.sampled_from(["type", "weight", "line"]), st.integers(0, 3), max_size=2)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("node"), NODES, NODES, ATTRS),
        st.tuples(st.just("edge"), NODES, NODES, ATTRS),
    ),
    max_size=30,
)


def both(ops: list[tuple[str, str, str, dict[str, int]]]) -> tuple[Digraph, Any]:
    ours, theirs = Digraph(), nx.DiGraph()
    for kind, u, v, attrs in ops:
        if kind == "node":
            ours.add_node(u, **attrs)
            theirs.add_node(u, **attrs)
        else:
            ours.add_edge(u, v, **attrs)
            theirs.add_edge(u, v, **attrs)
    return ours, theirs


@given(OPS)
def test_nodes_and_edges_match_networkx_in_content_and_order(
    ops: list[tuple[str, str, str, dict[str, int]]],
) -> None:
    ours, theirs = both(ops)
    assert list(ours.nodes.items()) == list(theirs.nodes(data=True))
    assert list(ours.edges()) == list(theirs.edges(data=True))
    for node in ["a", "b", "c", "d", "e", "z"]:
        assert (node in ours) == (node in theirs)
        if node in theirs:
            assert list(ours.out_edges(node)) == list(theirs.out_edges(node, data=True))
            assert list(ours.in_edges(node)) == list(theirs.in_edges(node, data=True))
        else:
            assert list(ours.out_edges(node)) == list(ours.in_edges(node)) == []


@given(OPS)
def test_the_networkx_copy_is_the_same_graph_built_in_the_same_order(
    ops: list[tuple[str, str, str, dict[str, int]]],
) -> None:
    ours, theirs = both(ops)
    copy = ours.to_networkx()
    assert nx.is_frozen(copy)
    assert list(copy.nodes(data=True)) == list(theirs.nodes(data=True))
    assert list(copy.edges(data=True)) == list(theirs.edges(data=True))
    for node in theirs:
        assert list(copy.in_edges(node, data=True)) == list(theirs.in_edges(node, data=True))


def test_the_shipped_graph_as_networkx_holds_every_node_and_edge() -> None:
    kg = load_default_graph()
    graph = kg.graph
    assert sorted(graph.nodes) == kg.node_ids()
    assert kg.graph is graph
    produces = {dst for _, dst, d in graph.out_edges("missing_index", data=True) if d["type"] == "produces"}
    assert produces == set(kg.symptoms_of("missing_index"))
