"""``sleuth kg check|show|export|stats``: validate, inspect and export the knowledge graph."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from knowledge_graph import (
    DATA_DIR,
    EXPORT_FORMATS,
    GraphLoadError,
    KnowledgeGraph,
    check_graph,
    export_graph,
    graph_stats,
    load_graph,
)

DEFAULT_RULES = DATA_DIR.parent.parent / "rules" / "packs"


def register(sub: Any) -> None:
    kg = sub.add_parser("kg", help="validate, inspect and export the knowledge graph")
    kg.set_defaults(handler=lambda _args: _usage(kg))
    actions = kg.add_subparsers(dest="kg_command", metavar="ACTION")

    check = actions.add_parser("check", help="report problems as FILE:LINE: message; exit 1 if any")
    check.add_argument(
        "--rules",
        action="append",
        type=Path,
        metavar="DIR",
        help="rule pack directory to cross-check (repeatable; default: the shipped packs, without --graph)",
    )
    _graph_option(check)
    check.set_defaults(handler=_check)

    show = actions.add_parser("show", help="a node and its neighbourhood")
    show.add_argument("node", help="node id, or a vendor metric name")
    show.add_argument("--depth", type=int, default=1, help="edges to follow (default 1)")
    _graph_option(show)
    show.set_defaults(handler=_show)

    exp = actions.add_parser("export", help="write the graph as GraphML, DOT or JSON")
    exp.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    exp.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    _graph_option(exp)
    exp.set_defaults(handler=_export)

    st = actions.add_parser("stats", help="counts of nodes and edges per type")
    st.add_argument("--json", action="store_true", help="print JSON")
    _graph_option(st)
    st.set_defaults(handler=_stats)


def _graph_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--graph",
        action="append",
        type=Path,
        metavar="PATH",
        help="graph YAML file or directory (repeatable; default: the shipped graph)",
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _error(message: str) -> None:
    print(f"sleuth kg: {message}", file=sys.stderr)


def _load(args: argparse.Namespace) -> KnowledgeGraph | None:
    try:
        return load_graph(args.graph)
    except GraphLoadError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    # the shipped packs are checked against the shipped graph only, not against a graph under test
    default = [DEFAULT_RULES] if args.graph is None and DEFAULT_RULES.is_dir() else []
    rule_dirs: list[Path] = list(args.rules or default)
    for directory in rule_dirs:
        if not directory.is_dir():
            _error(f"rule directory {directory} does not exist")
            return 2
    graph, problems = check_graph(args.graph, rule_dirs)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    counts = graph_stats(graph)["nodes"]
    checked = (
        f" and {len(rule_dirs)} rule director{'y' if len(rule_dirs) == 1 else 'ies'}" if rule_dirs else ""
    )
    summary = ", ".join(f"{n} {kind}s" for kind, n in counts.items())
    print(f"ok: {summary}{checked}")
    return 0


def _show(args: argparse.Namespace) -> int:
    graph = _load(args)
    if graph is None:
        return 1
    node = args.node
    if not graph.has_node(node):
        node = graph.resolve_metric(node) or node
    if not graph.has_node(node):
        close = difflib.get_close_matches(args.node, graph.node_ids(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        _error(f"unknown node {args.node!r}{hint}")
        return 1
    print(graph.neighbourhood_text(node, depth=max(0, args.depth)))
    if graph.node_type(node) == "cause":
        for rem in graph.remediations(node):
            print(f"  remediation [{rem.risk}] {rem.title}: {rem.description}")
    elif graph.node_type(node) == "metric":
        info = graph.metric_info(node)
        print(f"  unit {info.unit}, aggregate {info.aggregate}")
        names = [a for a in graph.aliases() if graph.resolve_metric(a) == node and a != node]
        print(f"  aliases: {', '.join(names) if names else '(none)'}")
    return 0


def _export(args: argparse.Namespace) -> int:
    graph = _load(args)
    if graph is None:
        return 1
    text = export_graph(graph, args.format)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _error(f"cannot write {args.out}: {exc.strerror or exc}")
        return 1
    return 0


def _stats(args: argparse.Namespace) -> int:
    graph = _load(args)
    if graph is None:
        return 1
    counts = graph_stats(graph)
    if args.json:
        print(json.dumps(counts, indent=2))
        return 0
    for group, values in counts.items():
        print(f"{group}:")
        for key, value in values.items():
            print(f"  {key:<16} {value:>5}")
    return 0
