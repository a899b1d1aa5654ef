"""The DBSherlock development cases (the shared dataset) as labelled incident files, written once."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_graph import KnowledgeGraph, load_default_graph
from sources.incident_files import write_incident
from tests.rules.signal_support import dbsherlock_cases


@pytest.fixture(scope="session")
def graph() -> KnowledgeGraph:
    return load_default_graph()


@pytest.fixture(scope="session")
def dev_cases(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("dbs")
    return [write_incident(i, folder / f"{i.id}.json") for i in dbsherlock_cases()]
