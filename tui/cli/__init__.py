"""The ``sleuth`` command line: a thin shell over the ``sleuth`` service.

``COMMANDS`` says which module registers each command, so running one command
imports only that module (the core's imports cost most of a second, and
``sleuth tui`` must paint in under one). Each module's ``register(sub)`` adds
its commands; a handler returns the exit code (``tui.cli.common``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from tui.cli.common import INTERRUPTED, OK, USAGE, starting

COMMANDS: dict[str, str] = {
    "schema": "tui.cli.incidents",
    "validate": "tui.cli.incidents",
    "summary": "tui.cli.incidents",
    "import": "tui.cli.incidents",
    "diagnose": "tui.cli.diagnose",
    "explain": "tui.cli.diagnose",
    "eval": "tui.cli.diagnose",
    "evalsets": "tui.cli.evalsets",
    "rules": "tui.cli.rules",
    "confirm": "tui.cli.history",
    "reject": "tui.cli.history",
    "history": "tui.cli.history",
    "kg": "tui.cli.kg",
    "collect": "tui.cli.live",
    "watch": "tui.cli.watch",
    "tui": "tui.cli.ui",
}

Handler = Callable[[argparse.Namespace], int]


def command_modules() -> list[str]:
    """Every module that registers commands, in the order ``--help`` lists them."""
    return list(dict.fromkeys(COMMANDS.values()))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or, when ``command`` is known, one holding just that command."""
    parser = argparse.ArgumentParser(
        prog="sleuth", description="Diagnose managed-database incidents with rules and a local LLM."
    )
    parser.add_argument("--version", action="version", version="sleuth 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    owner = COMMANDS.get(command or "")
    for name in [owner] if owner else command_modules():
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code.

    What start-up loads is frozen out of the collector's reach (``common.starting``). Run with
    the process's own command line (``argv`` None) it stays frozen until the process exits, whose
    last collection then does not walk it again; a caller that passes ``argv`` (a test, a script
    running commands in turn) gets its collector back as it was.
    """
    # numpy's OpenBLAS starts a spinning thread per CPU when it loads (~50 ms of CPU, more than a
    # diagnosis); sleuth's arrays are too small to share out, and batch jobs are processes already.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    thawed = gc.get_freeze_count() == 0
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    finally:
        if thawed and argv is not None:
            gc.unfreeze()


def _run(argv: list[str]) -> int:
    with starting():
        parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return USAGE
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
