"""``sleuth tui [PATH] [--config FILE]``: the terminal UI.

Textual and the app are imported inside the handler so that other commands
(``sleuth diagnose`` in a batch script) do not pay for them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.app.app import SleuthApp

OK, USAGE = 0, 2


def register(sub: Any) -> None:
    p = sub.add_parser("tui", help="the terminal UI: incidents, diagnosis, planner, rules, batch")
    p.add_argument("path", nargs="?", default=".", metavar="PATH", help="incident file or directory")
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="keymap file (TOML, [keymap] binding-id = keys); default ~/.config/sleuth/keymap.toml",
    )
    p.add_argument(
        "--rules",
        type=Path,
        action="append",
        metavar="PATH",
        help="rule files or directories (repeatable; default: the shipped packs)",
    )
    p.set_defaults(handler=_run)


def build_app(args: argparse.Namespace) -> SleuthApp:
    """The app exactly as ``sleuth tui`` starts it (the first-paint benchmark uses this too)."""
    from tui.app.app import SleuthApp
    from tui.app.core_services import CoreServices
    from tui.app.keymap import load_keymap

    keymap = load_keymap(args.config)
    return SleuthApp(CoreServices(args.rules), Path(args.path), keymap=keymap)


def _run(args: argparse.Namespace) -> int:
    from tui.app.keymap import KeymapError

    if not Path(args.path).exists():
        print(f"{args.path}: no such file or directory", file=sys.stderr)
        return USAGE
    try:
        app = build_app(args)
    except KeymapError as exc:
        print(exc, file=sys.stderr)
        return USAGE
    app.run()
    return OK
