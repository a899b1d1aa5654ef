"""The ``sleuth`` command line: one parser, with each area's commands in ``tui.commands``.

Each module in ``tui.commands`` exposes ``register(subparsers)``; a command's
handler returns the exit code (0 ok, 1 some inputs failed, 2 usage error).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

COMMAND_MODULES = (
    "tui.commands.foundation",
    "tui.commands.rules_cli",
    "tui.commands.kg_cli",
    "tui.commands.live_cli",
    "tui.commands.app_cli",
)

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line, as argparse does, but never with a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sleuth", description="Diagnose managed-database incidents with rules and a local LLM."
    )
    parser.add_argument("--version", action="version", version="sleuth 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # an area not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
