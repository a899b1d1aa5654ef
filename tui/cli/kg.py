"""``sleuth kg check|show|export|stats``: validate, inspect and export the knowledge graph."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import OK, SOME_FAILED, USAGE, add_config_option, add_force_option, guarded

if TYPE_CHECKING:
    from sleuth import Sleuth


def register(sub: Any) -> None:
    from sleuth import GRAPH_FORMATS

    kg = sub.add_parser("kg", help="validate, inspect and export the knowledge graph")
    kg.set_defaults(handler=lambda _args: _usage(kg))
    actions = kg.add_subparsers(dest="kg_command", metavar="ACTION")

    check = actions.add_parser("check", help="report problems as FILE:LINE:COL id: message; exit 1 if any")
    check.add_argument(
        "--rules",
        action="append",
        type=Path,
        metavar="DIR",
        help="rule pack directory to cross-check (repeatable; default: the shipped packs, without --graph)",
    )
    _graph_option(check)
    check.set_defaults(handler=guarded(_check))

    show = actions.add_parser("show", help="a node and its neighbourhood")
    show.add_argument("node", help="node id, or a vendor metric name")
    show.add_argument("--depth", type=int, default=1, help="edges to follow (default 1)")
    _graph_option(show)
    show.set_defaults(handler=guarded(_show))

    exp = actions.add_parser("export", help="write the graph as GraphML, DOT or JSON")
    exp.add_argument("--format", choices=GRAPH_FORMATS, required=True)
    exp.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    add_force_option(exp, "the --out file")
    _graph_option(exp)
    exp.set_defaults(handler=guarded(_export))

    st = actions.add_parser("stats", help="counts of nodes and edges per type")
    st.add_argument("--json", action="store_true", help="print JSON")
    _graph_option(st)
    st.set_defaults(handler=guarded(_stats))


def _graph_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--graph",
        action="append",
        type=Path,
        metavar="PATH",
        help="graph YAML file or directory (repeatable; default: the configured or shipped graph)",
    )
    add_config_option(parser)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return USAGE


def _error(message: str) -> None:
    print(f"sleuth kg: {message}", file=sys.stderr)


def _service(args: argparse.Namespace) -> Sleuth:
    from sleuth import Sleuth, load_settings

    return Sleuth(load_settings(args.config, graph=args.graph))


def _loaded(app: Sleuth) -> bool:
    """Load the graph; its problems go to stderr one per line (``kg check`` tells them all)."""
    from sleuth import UsageError

    try:
        _ = app.graph
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return False
    return True


def _check(args: argparse.Namespace) -> int:
    app = _service(args)
    # the shipped packs are checked against the shipped graph only, not against a graph under test
    rule_dirs: list[Path] = list(args.rules or ([] if args.graph else app.rules.sources()))
    for directory in rule_dirs:
        if not directory.exists():
            _error(f"rule directory {directory} does not exist")
            return USAGE
    counts, problems = app.check_graph(rule_dirs)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return SOME_FAILED
    if not any(counts.values()):
        _error("the graph has no nodes")
        return SOME_FAILED
    checked = (
        f" and {len(rule_dirs)} rule director{'y' if len(rule_dirs) == 1 else 'ies'}" if rule_dirs else ""
    )
    summary = ", ".join(f"{n} {kind}s" for kind, n in counts.items())
    print(f"ok: {summary}{checked}")
    return OK


def _show(args: argparse.Namespace) -> int:
    app = _service(args)
    if not _loaded(app):
        return SOME_FAILED
    graph = app.graph
    node = args.node
    if not graph.has_node(node):
        node = graph.resolve_metric(node) or node
    if not graph.has_node(node):
        close = difflib.get_close_matches(args.node, graph.node_ids(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        _error(f"unknown node {args.node!r}{hint}")
        return SOME_FAILED
    print(graph.neighbourhood_text(node, depth=max(0, args.depth)))
    if graph.node_type(node) == "cause":
        for rem in graph.remediations(node):
            print(f"  remediation [{rem.risk}] {rem.title}: {rem.description}")
    elif graph.node_type(node) == "metric":
        info = graph.metric_info(node)
        print(f"  unit {info.unit}, aggregate {info.aggregate}")
        names = [a for a in graph.aliases() if graph.resolve_metric(a) == node and a != node]
        print(f"  aliases: {', '.join(names) if names else '(none)'}")
        for share in (s for s in graph.shares() if s.metric == node):
            print(f"  computed per sample: {share.part} as a percentage of {' + '.join(share.of)}")
    return OK


def _export(args: argparse.Namespace) -> int:
    app = _service(args)
    try:
        if args.out is not None:
            app.check_output(args.out, force=args.force, parents=False)
        if not _loaded(app):
            return SOME_FAILED
        text = app.export_graph(args.format)
        if args.out is None:
            sys.stdout.write(text)
            return OK
        app.write_text(args.out, text, force=args.force)
    except OSError as exc:
        reason = getattr(exc, "message", None) or exc.strerror or str(exc)
        _error(f"cannot write {args.out}: {reason}")
        return SOME_FAILED
    return OK


def _stats(args: argparse.Namespace) -> int:
    app = _service(args)
    if not _loaded(app):
        return SOME_FAILED
    counts = app.graph_stats()
    if args.json:
        print(json.dumps(counts, indent=2))
        return OK
    for group, values in counts.items():
        print(f"{group}:")
        for key, value in values.items():
            print(f"  {key:<16} {value:>5}")
    return OK
