"""Shared fixtures: the tiny hand-checked graph, the core tests' graph, the shipped graph, a fact builder."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from knowledge_graph import KnowledgeGraph, load_default_graph, load_graph
from models import Fact

TINY = Path(__file__).parent / "fixtures" / "tiny"
CORE = Path(__file__).parent / "fixtures" / "core"


@functools.cache
def core_graph() -> KnowledgeGraph:
    """The graph the rules and planner tests reason over, through the real loader; read-only, so shared."""
    return load_graph([CORE])


@pytest.fixture(scope="session")
def tiny() -> KnowledgeGraph:
    return load_graph([TINY])


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    return load_default_graph()


def signal(name: str, direction: str, confidence: float) -> Fact:
    return Fact(kind="signal", name=name, attrs={"direction": direction, "confidence": confidence})
