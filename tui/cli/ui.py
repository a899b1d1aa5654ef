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
    from tui.app.screens.fleet import FleetView


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
    p.add_argument(
        "--fleet",
        type=Path,
        metavar="FILE",
        help="watch the servers of a fleet file and open on the fleet screen (as `sleuth watch --fleet`)",
    )
    p.set_defaults(handler=guarded(_run))


def build_app(
    args: argparse.Namespace, fleet: FleetView | None = None, root: Path | None = None
) -> SleuthApp:
    """The app exactly as ``sleuth tui`` starts it (the first-paint benchmark uses this too)."""
    from sleuth import Sleuth, load_settings
    from tui.app.app import SleuthApp

    settings = load_settings(args.config, rules=args.rules)
    return SleuthApp(Sleuth(settings), root or Path(args.path), keymap=settings.keymap, fleet=fleet)


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "fleet", None) is not None:
        return _run_fleet(args)
    if not Path(args.path).exists():
        print(f"{args.path}: no such file or directory", file=sys.stderr)
        return USAGE
    build_app(args).run()
    return OK


def _run_fleet(args: argparse.Namespace) -> int:
    """The fleet watched on threads while the app runs; the incidents list shows the watcher's files."""
    from sleuth import Sleuth, load_settings

    app = Sleuth(load_settings(args.config, rules=args.rules))
    spool = app.watch_spool()
    runner = app.watcher(app.watch_targets(fleet=args.fleet), spool, app.notifier(None))
    runner.start()
    try:
        build_app(args, fleet=runner, root=spool.incidents).run()
    finally:
        runner.stop()
        runner.join()
        app.history.close()
    return OK
