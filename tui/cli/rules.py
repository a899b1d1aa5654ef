"""``sleuth rules lint|test|list``: the commands of people who write rule files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.cli.common import OK, SOME_FAILED, add_config_option, add_force_option, guarded, service


def register(sub: Any) -> None:
    r = sub.add_parser("rules", help="lint, test and list rule files")
    rsub = r.add_subparsers(dest="rules_command", metavar="COMMAND", required=True)
    lint = rsub.add_parser("lint", help="check rule files; FILE:LINE:COL rule-id: message per problem")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories")
    add_config_option(lint)
    lint.set_defaults(handler=guarded(_lint))
    test = rsub.add_parser("test", help="run the inline tests of rule files")
    test.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories")
    add_config_option(test)
    test.set_defaults(handler=guarded(_test))
    listing = rsub.add_parser("list", help="list the loaded rules")
    listing.add_argument(
        "--rules", action="append", metavar="PATH", help="rule files (default: shipped packs)"
    )
    listing.add_argument("--format", choices=["table", "json"], default="table")
    add_config_option(listing)
    listing.set_defaults(handler=guarded(_list))
    learn = rsub.add_parser(
        "learn", help="learn a rule pack from labelled incidents or the history's confirmed ones"
    )
    learn.add_argument("paths", nargs="*", metavar="PATH", help="labelled incident files or directories")
    learn.add_argument(
        "--history",
        nargs="?",
        const="",
        metavar="URL",
        help="also learn from the confirmed incidents of the history (default database, or URL)",
    )
    learn.add_argument("--out", type=Path, required=True, metavar="FILE.yaml", help="the pack to write")
    learn.add_argument("--pack", metavar="NAME", help="pack name and rule-id prefix (default: from FILE)")
    add_force_option(learn, "FILE.yaml (and the incidents an earlier run kept beside it)")
    add_config_option(learn)
    learn.set_defaults(handler=guarded(_learn))


def _lint(args: argparse.Namespace) -> int:
    files, rules, problems = service(args).lint([Path(p) for p in args.paths])
    for problem in problems:
        print(problem)
    print(f"{rules} rules in {files} files, {len(problems)} problems", file=sys.stderr)
    return SOME_FAILED if problems else OK


def _test(args: argparse.Namespace) -> int:
    from sleuth import UsageError

    try:
        results = service(args).test_rules([Path(p) for p in args.paths])
    except UsageError as exc:  # files that do not load are failed tests, listed like lint's problems
        print(exc, file=sys.stderr)
        return SOME_FAILED
    for result in results:
        print(result, file=sys.stdout if result.passed else sys.stderr)
    failed = sum(1 for r in results if not r.passed)
    print(f"{len(results) - failed} passed, {failed} failed", file=sys.stderr)
    return SOME_FAILED if failed else OK


def _list(args: argparse.Namespace) -> int:
    app = service(args)
    selection = tuple(args.rules) if args.rules else None
    rules = app.rules.describe(selection).rules
    if args.format == "json":
        for rule in rules:
            row = {
                "id": rule.id,
                "pack": rule.pack,
                "concludes": rule.concludes,
                "certainty": rule.certainty,
                "salience": rule.salience,
                "engines": list(rule.engines),
                "title": rule.title,
            }
            print(json.dumps(row))
        return OK
    print(f"{'id':<36} {'pack':<10} {'concludes':<30} {'cf':>4} {'sal':>4}  title")
    for rule in rules:
        print(
            f"{rule.id:<36} {rule.pack:<10} {rule.concludes:<30} "
            f"{rule.certainty:>4.2f} {rule.salience:>4}  {rule.title}"
        )
    return OK


def _learn(args: argparse.Namespace) -> int:
    import re

    from sleuth import UsageError

    if not args.paths and args.history is None:
        raise UsageError("give labelled incident files or --history")
    name = args.pack or re.sub(r"[^a-z0-9_]+", "_", args.out.stem.lower()).strip("_") or "learned"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        name = f"learned_{name}"
    app = service(args)
    try:
        app.check_output(args.out, force=args.force)
    except OSError as exc:
        raise UsageError(f"--out {exc}") from None
    learned = app.learn_rules(
        [Path(p) for p in args.paths],
        from_history=args.history is not None,
        out=args.out,
        name=name,
        force=args.force,
    )
    for line in learned.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    for cause, count in learned.unknown_causes.items():
        print(
            f"no rule for {cause} ({count} incidents): not a cause of the knowledge graph; "
            "add it under `causes:` in a graph file (see knowledge_graph/README.md) and learn again",
            file=sys.stderr,
        )
    try:
        app.write_text(args.out, learned.text, force=args.force, parents=True)
    except OSError as exc:
        raise UsageError(f"--out {exc}") from None
    causes = len({r.cause for r in learned.rules})
    print(
        f"{len(learned.rules)} rules for {causes} causes from {learned.examples} incidents -> {args.out}",
        file=sys.stderr,
    )
    return OK
