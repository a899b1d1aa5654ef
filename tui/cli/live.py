"""``sleuth collect``: sample a live server read-only into an incident file.

The DSN may come from ``$SLEUTH_DSN`` (through the settings) so the password
stays out of shell history and ``ps``; whatever its source, it is printed only
redacted.

Nothing sampled is lost: the destination is checked before the first sample;
SIGTERM and SIGHUP (what a service manager sends) stop a capture as Ctrl-C
does, and the samples taken so far are written; a signal that arrives while
the file is being written waits until it is complete; and a write that fails at
the end saves the capture in sleuth's data directory instead, saying where.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tui.cli.common import (
    OK,
    SOME_FAILED,
    USAGE,
    Stopped,
    add_config_option,
    add_force_option,
    service,
    signal_exit_code,
    stop_signals,
)

if TYPE_CHECKING:
    from models import Incident
    from sleuth import Sleuth
    from sleuth.live import Sample

DSN_ENV = "SLEUTH_DSN"
_DURATION = re.compile(r"^\s*(?P<sign>-)?(?P<n>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s|m|h)?\s*$")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
# What a service manager sends to stop a process (systemd, supervisord, a closing terminal).


def parse_duration(text: str) -> float:
    """``60s``, ``2m``, ``500ms`` or a bare number of seconds."""
    m = _DURATION.match(text)
    if m is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 60s, 2m, 500ms)")
    if m["sign"]:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return float(m["n"]) * _SCALE[m["unit"]]


def parse_interval(text: str) -> float:
    """A duration of at least ``MIN_INTERVAL_S``: a faster capture would become the server's load."""
    from sleuth.live import MIN_INTERVAL_S

    seconds = parse_duration(text)
    if seconds < MIN_INTERVAL_S:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_INTERVAL_S * 1000:g}ms, got {text!r}")
    return seconds


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """The capture flags, shared with ``sleuth diagnose --dsn``."""
    parser.add_argument(
        "--dsn",
        default=None,
        help=f"postgresql://user:pw@host:port/db or mysql://user:pw@host:port/db (default ${DSN_ENV}); "
        "percent-encode @ : / ? # %% in the password",
    )
    parser.add_argument(
        "--duration", type=parse_duration, default=60.0, help="how long to sample (default 60s)"
    )
    parser.add_argument(
        "--interval",
        type=parse_interval,
        default=1.0,
        help="time between samples, at least 100ms (default 1s; docs/LIVE.md gives the load per interval)",
    )
    parser.add_argument(
        "--keep-literals",
        action="store_true",
        help="keep the literals of the statement texts the server shows (default: masked as ?)",
    )
    # "--duration -5s" is a (refused) value, not an unknown option
    parser._negative_number_matcher = re.compile(r"^-[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h)?$")


def resolve_dsn(app: Sleuth, given: str | None) -> str | None:
    """``--dsn``, else ``$SLEUTH_DSN`` (or ``dsn`` in the config) as the settings read it."""
    if given:
        return given
    return app.settings.dsn.get_secret_value() if app.settings.dsn is not None else None


def capture(args: argparse.Namespace, *, quiet: bool = False) -> tuple[Incident | None, int, int]:
    """Run a capture for a command: the incident (maybe partial), the samples taken, the exit code.

    A capture stopped by a signal returns what it sampled and 128 + the signal's number. The
    collectors (drivers, sqlglot) are imported here, so only a command that captures loads them.
    """
    from sleuth.live import CollectError, DsnError, PartialCollection, collect, parse_dsn

    if not args.dsn:
        print(f"error: no DSN: pass --dsn or set ${DSN_ENV}", file=sys.stderr)
        return None, 0, USAGE
    try:
        dsn = parse_dsn(args.dsn)
    except DsnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, 0, USAGE
    taken = [0]

    show = not quiet and sys.stderr.isatty()

    def progress(index: int, sample: Sample) -> None:
        taken[0] = index + 1
        if show:
            print(f"\rsampling {dsn.endpoint}: {index + 1} sample(s)", end="", file=sys.stderr, flush=True)

    def end_progress() -> None:
        if show:
            print(file=sys.stderr)

    with stop_signals() as received:
        try:
            incident = collect(
                dsn, args.duration, args.interval, on_sample=progress, mask_literals=not args.keep_literals
            )
        except PartialCollection as exc:
            end_progress()
            print(f"error: {exc.message}", file=sys.stderr)
            code = signal_exit_code(received[0]) if received else SOME_FAILED
            return exc.incident, taken[0], code
        except CollectError as exc:
            end_progress()
            print(f"error: {exc.message}", file=sys.stderr)
            return None, taken[0], SOME_FAILED
        except Stopped as exc:  # before the first sample: nothing to keep
            end_progress()
            print(f"error: {exc}; nothing was sampled", file=sys.stderr)
            return None, 0, signal_exit_code(exc.signum)
    end_progress()
    for log in incident.logs:
        if log.level == "warning":
            print(f"warning: {log.message}", file=sys.stderr)
    return incident, taken[0], OK


def _rescue(app: Sleuth, incident: Incident) -> Path | None:
    """Where a capture goes when its ``--out`` fails at the end: sleuth's data directory, else /tmp."""
    from sleuth import user_data_dir

    for folder in (user_data_dir() / "captures", Path(tempfile.gettempdir())):
        try:
            return app.write_incident(incident, folder / f"{incident.id}.json")
        except OSError:
            continue
    return None


def _collect(args: argparse.Namespace) -> int:
    from models.incident import diagnosis_problem

    app = service(args)
    args.dsn = resolve_dsn(app, args.dsn)
    if args.dsn:
        try:
            app.check_output(args.out, force=args.force)
        except OSError as exc:
            print(f"error: --out {exc}", file=sys.stderr)
            return USAGE
    incident, samples, code = capture(args, quiet=args.quiet)
    if incident is None:
        return code
    problem = diagnosis_problem(incident)
    if problem is not None and code == OK:  # a stopped capture already said how little it kept
        print(f"warning: the capture holds nothing to diagnose yet ({problem})", file=sys.stderr)
    with stop_signals(defer=True) as received:
        try:
            app.write_incident(incident, args.out, force=args.force)
        except OSError as exc:
            saved = _rescue(app, incident)
            where = f"; the capture is saved in {saved}" if saved else "; the capture could not be saved"
            print(f"error: cannot write {exc}{where}", file=sys.stderr)
            return max(code, SOME_FAILED)
    kept = "partial capture, " if code else ""
    print(
        f"wrote {args.out}: {kept}{samples} samples, {len(incident.metrics)} metrics from {incident.instance.host}"
    )
    if received and not code:
        code = signal_exit_code(received[0])
    return code


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "collect",
        help="sample a live PostgreSQL/MySQL server (read-only) into an incident file",
        description="Sample a live server read-only into an incident file that `sleuth diagnose` reads. "
        "The --out path is checked before the first sample. SIGINT, SIGTERM and SIGHUP stop the capture "
        "and the samples taken so far are written. Exit 0: written; 1: partial (the server went away) or "
        "not written; 2: bad usage; 128+N: stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP), "
        "the samples so far written.",
    )
    add_live_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, help="incident JSON file to write")
    add_force_option(parser, "the --out file")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_config_option(parser)
    parser.set_defaults(handler=_collect)
