"""The small immutable values the graph's queries return, so callers cannot corrupt the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MetricInfo:
    """A canonical metric: the unit its values are in and how several vendor columns combine."""

    id: str
    unit: str
    aggregate: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class MetricShare:
    """A metric computed per sample as ``part``'s percentage of the ``of`` metrics added up."""

    metric: str
    part: str
    of: tuple[str, ...]


@dataclass(frozen=True)
class MetricAlias:
    """What a vendor name resolved to; multiply vendor values by ``scale`` to get ``unit``."""

    metric: str
    scale: float = 1.0
    pattern: str = ""


@dataclass(frozen=True)
class RankedCause:
    """A cause with the evidence the graph adds to the rules' certainty.

    ``coverage`` is the weighted share of the observed symptoms this cause
    explains (its consequences' too, discounted); ``missing`` the weighted share
    of its own measurable symptoms that did not show, and ``absent`` those
    symptoms, for WHY-NOT explanations. ``explained`` lists the observed
    symptoms it produces directly and ``unique`` those no other ranked cause
    produces; ``primary`` marks the top cause and every cause with a unique
    symptom, so a compound incident has several.
    """

    cause: str
    certainty: float
    coverage: float
    score: float
    missing: float = 0.0
    explained: frozenset[str] = field(default_factory=frozenset)
    unique: frozenset[str] = field(default_factory=frozenset)
    primary: bool = True
    absent: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Check:
    """A read-only observation a planner tool can make, with the metric it is about (if any)."""

    id: str
    title: str
    tool: str
    args: dict[str, Any]
    metric: str | None = None
    gain: float = 0.0
