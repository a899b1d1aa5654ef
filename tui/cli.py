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

# Which module registers each command, so that running one command imports only its
# module (the core's imports cost most of a second; `sleuth tui` must paint in under one).
COMMAND_OWNERS: dict[str, str] = {
    "schema": "tui.commands.foundation",
    "validate": "tui.commands.foundation",
    "summary": "tui.commands.foundation",
    "import": "tui.commands.foundation",
    "diagnose": "tui.commands.rules_cli",
    "explain": "tui.commands.rules_cli",
    "eval": "tui.commands.rules_cli",
    "rules": "tui.commands.rules_cli",
    "kg": "tui.commands.kg_cli",
    "collect": "tui.commands.live_cli",
    "tui": "tui.commands.app_cli",
}

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line, as argparse does, but never with a traceback."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or, when ``command`` is known, one holding just that command."""
    parser = _Parser(
        prog="sleuth", description="Diagnose managed-database incidents with rules and a local LLM."
    )
    parser.add_argument("--version", action="version", version="sleuth 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    owner = COMMAND_OWNERS.get(command or "")
    for name in (owner,) if owner else COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
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
