"""``sleuth tui [PATH] [--config FILE]``: the terminal UI.

Textual and the app are imported inside the handler so that other commands
(``sleuth diagnose`` in a batch script) do not pay for them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import OK, USAGE, add_config_option, guarded

if TYPE_CHECKING:
    from tui.app.app import SleuthApp


def register(sub: Any) -> None:
    p = sub.add_parser("tui", help="the terminal UI: incidents, diagnosis, planner, rules, batch")
    p.add_argument("path", nargs="?", default=".", metavar="PATH", help="incident file or directory")
    add_config_option(p)
    p.add_argument(
        "--rules",
        type=Path,
        action="append",
        metavar="PATH",
        help="rule files or directories (repeatable; default: the configured or shipped packs)",
    )
    p.set_defaults(handler=guarded(_run))


def build_app(args: argparse.Namespace) -> SleuthApp:
    """The app exactly as ``sleuth tui`` starts it (the first-paint benchmark uses this too)."""
    from sleuth import Sleuth, load_settings
    from tui.app.app import SleuthApp

    settings = load_settings(args.config, rules=args.rules)
    return SleuthApp(Sleuth(settings), Path(args.path), keymap=settings.keymap)


def _run(args: argparse.Namespace) -> int:
    if not Path(args.path).exists():
        print(f"{args.path}: no such file or directory", file=sys.stderr)
        return USAGE
    build_app(args).run()
    return OK
