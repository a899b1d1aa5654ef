"""sleuth's domain knowledge: causes, symptoms, metrics (with vendor aliases), checks, remediations.

Authored as YAML in ``knowledge_graph/data/`` and held as a typed directed
graph (a networkx copy on request). Rules conclude causes that exist here; ranking, explanations, remediation
and the planner's prompts read from it. Everything public is re-exported here;
the modules behind it are private. Export and the graph's own checks load on
first use: a diagnosis needs neither.
"""

import importlib
from typing import TYPE_CHECKING, Any

from knowledge_graph._graph import KnowledgeGraph
from knowledge_graph._loader import DATA_DIR, compile_graph, graph_files, load_default_graph, load_graph
from knowledge_graph._problems import GraphLoadError
from knowledge_graph._spec import RISK_ORDER, TOOLS
from knowledge_graph._types import Check, MetricAlias, MetricInfo, MetricShare, RankedCause

if TYPE_CHECKING:
    from knowledge_graph._export import FORMATS as EXPORT_FORMATS
    from knowledge_graph._export import export as export_graph
    from knowledge_graph._export import stats as graph_stats
    from knowledge_graph._validate import check_graph

# Public name -> (private module, name there).
_LAZY = {
    "EXPORT_FORMATS": ("knowledge_graph._export", "FORMATS"),
    "export_graph": ("knowledge_graph._export", "export"),
    "graph_stats": ("knowledge_graph._export", "stats"),
    "check_graph": ("knowledge_graph._validate", "check_graph"),
}


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'knowledge_graph' has no attribute {name!r}")
    return getattr(importlib.import_module(found[0]), found[1])


__all__ = [
    "DATA_DIR",
    "EXPORT_FORMATS",
    "RISK_ORDER",
    "TOOLS",
    "Check",
    "GraphLoadError",
    "KnowledgeGraph",
    "MetricAlias",
    "MetricInfo",
    "MetricShare",
    "RankedCause",
    "check_graph",
    "compile_graph",
    "export_graph",
    "graph_files",
    "graph_stats",
    "load_default_graph",
    "load_graph",
]
