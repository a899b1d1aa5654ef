"""``sleuth watch``: keep an eye on a server or a fleet, headless; every event a JSON line on stdout.

SIGTERM and SIGINT (what systemd and Ctrl-C send) stop the watch: each
server's loop ends at its next wait, its state is already on disk, the
history is closed, and the command exits 0. A watcher killed outright
(SIGKILL, a crash) resumes its open incidents when started again, without
opening or notifying them twice.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from tui.cli.common import OK, USAGE, add_config_option, add_history_option, guarded, service
from tui.cli.live import parse_duration, parse_interval

if TYPE_CHECKING:
    from sleuth import Sleuth
    from sleuth.watch import ServerStatus, Target
    from sleuth.watch.spool import Spool

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Runner(Protocol):
    """What the command needs of a fleet, in one process or on Ray."""

    errors: list[str]

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float = ...) -> None: ...

    def wait(self, seconds: float | None = None) -> bool: ...

    def statuses(self) -> list[ServerStatus]: ...


def register(sub: Any) -> None:
    p = sub.add_parser(
        "watch",
        help="watch a server or a fleet; detect, diagnose and notify each incident as it starts",
        description="Sample a server (--dsn, default $SLEUTH_DSN) or every server of a fleet file (--fleet) "
        "read-only, detect each anomaly's onset, diagnose the incident as it grows and when it ends, store it "
        "in the history and notify (JSON Lines on stdout, Apprise URLs, a hook). SIGTERM or SIGINT stops it "
        "cleanly (exit 0). See docs/WATCH.md.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dsn", default=None, help="one server (default $SLEUTH_DSN or `dsn` in the config)")
    where.add_argument("--fleet", type=Path, metavar="FILE", help="a fleet file (`sleuth schema fleet`)")
    p.add_argument("--name", default=None, help="the server's name with --dsn (default: engine-host-port)")
    p.add_argument("--interval", type=parse_interval, default=None, help="time between samples (default 1s)")
    p.add_argument(
        "--for",
        dest="duration",
        type=parse_duration,
        default=None,
        metavar="DURATION",
        help="stop after this long (default: until SIGTERM or SIGINT)",
    )
    p.add_argument("--incidents", type=Path, metavar="DIR", help="where incident files go")
    p.add_argument("--state", type=Path, metavar="DIR", help="where the watcher keeps its state")
    p.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help="an Apprise URL (repeatable; prefer [watch] notify or $SLEUTH_WATCH__NOTIFY: URLs hold tokens)",
    )
    p.add_argument(
        "--hook",
        default=None,
        metavar="COMMAND",
        help="run per notification (split like a shell would, never run by one); the event is on its stdin",
    )
    p.add_argument(
        "--no-history",
        action="store_true",
        help="keep incident files only; a later watch with a history records them",
    )
    add_history_option(p)
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="shard the fleet over Ray actors (a local Ray, or a cluster's ADDRESS such as ray://head:10001)",
    )
    p.add_argument("--actors", type=int, default=2, help="Ray actors to shard over (default 2)")
    add_config_option(p)
    p.set_defaults(handler=guarded(_watch))


def _targets(app: Sleuth, args: argparse.Namespace) -> list[Target]:
    from dataclasses import replace

    targets = app.watch_targets(fleet=args.fleet, dsn=args.dsn, name=args.name)
    if args.interval is not None:
        targets = [replace(t, tuning=replace(t.tuning, interval_s=args.interval)) for t in targets]
    return targets


def _runner(app: Sleuth, args: argparse.Namespace, targets: list[Target], spool: Spool, emit: Any) -> Runner:
    if args.ray is None:
        return app.watcher(targets, spool, emit)
    from sleuth.watch.ray_fleet import RayFleet

    return RayFleet(
        app.settings,
        targets,
        incidents=spool.incidents,
        state=spool.state,
        history=spool.history,
        emit=emit,
        actors=max(1, args.actors),
        address=None if args.ray == "local" else args.ray,
    )


def _watch(args: argparse.Namespace) -> int:
    if args.ray is not None and args.fleet is None:
        print("sleuth: --ray shards a fleet: give --fleet FILE", file=sys.stderr)
        return USAGE
    app = service(args)
    targets = _targets(app, args)
    spool = app.watch_spool(incidents=args.incidents, state=args.state, history=not args.no_history)
    notifier = app.notifier(sys.stdout, urls=args.notify, hook=shlex.split(args.hook) if args.hook else ())
    runner = _runner(app, args, targets, spool, notifier)
    print(
        f"sleuth watch: {len(targets)} server(s); incidents in {spool.incidents}; state in {spool.state}",
        file=sys.stderr,
    )
    stop = threading.Event()

    def caught(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        runner.stop()

    previous = {sig: signal.signal(sig, caught) for sig in STOP_SIGNALS}
    try:
        runner.start()
        # Ray's driver installs its own fatal-signal handlers in ray.init: take SIGTERM back
        for sig in STOP_SIGNALS:
            signal.signal(sig, caught)
        stop.wait(args.duration)
    finally:
        runner.stop()
        runner.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        app.history.close()
    for error in runner.errors:
        print(f"sleuth watch: {error}", file=sys.stderr)
    return OK
