"""Finding and loading the authoring files; the default graph is loaded once per process."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from knowledge_graph._build import BuiltGraph, build
from knowledge_graph._graph import KnowledgeGraph
from knowledge_graph._problems import GraphLoadError
from models.problems import NO_SUBJECT, Problem
from sources.yamlfile import read_yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


def graph_files(paths: Iterable[Path | str] | None = None) -> list[Path]:
    """The YAML files named, with directories expanded to their ``*.yaml``/``*.yml``, sorted."""
    out: list[Path] = []
    for raw in [DATA_DIR] if paths is None else paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            out.append(path)
    return out


def compile_graph(paths: Iterable[Path | str] | None = None) -> tuple[KnowledgeGraph, list[Problem]]:
    """Build whatever the files allow and every problem found; ``kg check`` reports them all."""
    given = [DATA_DIR] if paths is None else [Path(p) for p in paths]
    files = graph_files(given)
    problems: list[Problem] = []
    if not files:
        problems.append(Problem(", ".join(map(str, given)), 1, 1, NO_SUBJECT, "no graph files found"))
    built: BuiltGraph = build(read_yaml(f) for f in files)
    problems.extend(built.problems)
    return KnowledgeGraph(built.graph, built.aliases), sorted(problems)


def load_graph(paths: Iterable[Path | str] | None = None) -> KnowledgeGraph:
    """A graph from authoring files; ``GraphLoadError`` lists every problem with ``FILE:LINE:COL``."""
    graph, problems = compile_graph(paths)
    if problems:
        raise GraphLoadError(problems)
    return graph


@functools.cache
def load_default_graph() -> KnowledgeGraph:
    """The shipped graph (``knowledge_graph/data/*.yaml``), built once and shared; treat it as read-only."""
    return load_graph(None)
