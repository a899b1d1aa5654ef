"""One incident through triage with the real rules and knowledge graph, for the CLI, the UI and the bench.

The model is cached per process and per configuration: loading the GGUF costs
about a second, and a batch (``sleuth eval``) reuses it for every incident
that needs the fallback — its KV cache then also keeps the shared prompt
prefix warm across incidents.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Protocol

from models import Diagnosis, Fact, Incident
from planner.backends import Model, make_model
from planner.config import PlannerConfig
from planner.graph import GraphView
from planner.observer import PlannerObserver
from planner.tools.datasource import DataSource
from planner.triage import diagnose
from rules import RuleBook, diagnose_with_rules
from rules.facts import PipelineGraph


class FullGraph(GraphView, PipelineGraph, Protocol):
    """The knowledge graph as both the planner and the rules pipeline use it."""


@functools.lru_cache(maxsize=4)
def _shared(config_json: str) -> Model:
    return make_model(PlannerConfig.model_validate_json(config_json))


def shared_model(config: PlannerConfig) -> Model:
    return _shared(config.model_dump_json())


def triage_incident(
    incident: Incident,
    book: RuleBook,
    kg: FullGraph,
    *,
    config: PlannerConfig,
    infer_window: bool = False,
    disabled_rules: frozenset[str] = frozenset(),
    model: Model | None = None,
    source: DataSource | None = None,
    cancel: threading.Event | None = None,
    observer: PlannerObserver | None = None,
) -> Diagnosis:
    """``observer`` watches the planner live if it runs (the UI passes one; batch runs do not)."""

    def run_rules(extra: Sequence[Fact]) -> Diagnosis:
        return diagnose_with_rules(
            incident,
            book,
            kg,
            infer_window=infer_window,
            disabled_rules=disabled_rules,
            extra_facts=tuple(extra),
        )

    return diagnose(
        incident,
        graph=kg,
        run_rules=run_rules,
        model_factory=lambda: model if model is not None else shared_model(config),
        config=config,
        source=source,
        cancel=cancel,
        observer=observer,
    )
