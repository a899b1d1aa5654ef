"""``sleuth collect``: sample a live server read-only into an incident file.

The DSN may come from ``$SLEUTH_DSN`` so the password stays out of shell
history and ``ps``; whatever its source, it is printed only redacted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from models import Incident
from sources.live import CollectError, PartialCollection, Sample, collect, parse_dsn
from sources.live.dsn import DsnError

DSN_ENV = "SLEUTH_DSN"
_DURATION = re.compile(r"^\s*(?P<n>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s|m|h)?\s*$")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """``60s``, ``2m``, ``500ms`` or a bare number of seconds."""
    m = _DURATION.match(text)
    if m is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 60s, 2m, 500ms)")
    return float(m["n"]) * _SCALE[m["unit"]]


def add_live_arguments(parser: argparse.ArgumentParser, *, dsn_required: bool) -> None:
    """The capture flags, shared with ``sleuth diagnose --dsn``."""
    parser.add_argument(
        "--dsn",
        default=os.environ.get(DSN_ENV) if dsn_required else None,
        help=f"postgresql://user:pw@host:port/db or mysql://user:pw@host:port/db (default ${DSN_ENV})",
    )
    parser.add_argument(
        "--duration", type=parse_duration, default=60.0, help="how long to sample (default 60s)"
    )
    parser.add_argument(
        "--interval", type=parse_duration, default=1.0, help="time between samples (default 1s)"
    )


def capture(args: argparse.Namespace, *, quiet: bool = False) -> tuple[Incident | None, int, int]:
    """Run a capture for a command: the incident (maybe partial), the samples taken, the exit code."""
    if not args.dsn:
        print(f"error: no DSN: pass --dsn or set ${DSN_ENV}", file=sys.stderr)
        return None, 0, 2
    try:
        dsn = parse_dsn(args.dsn)
    except DsnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, 0, 2
    taken = [0]

    show = not quiet and sys.stderr.isatty()

    def progress(index: int, sample: Sample) -> None:
        taken[0] = index + 1
        if show:
            print(f"\rsampling {dsn.endpoint}: {index + 1} sample(s)", end="", file=sys.stderr, flush=True)

    def end_progress() -> None:
        if show:
            print(file=sys.stderr)

    try:
        incident = collect(dsn, args.duration, args.interval, on_sample=progress)
    except PartialCollection as exc:
        end_progress()
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.incident, taken[0], 1
    except CollectError as exc:
        end_progress()
        print(f"error: {exc.message}", file=sys.stderr)
        return None, taken[0], 1
    end_progress()
    for log in incident.logs:
        if log.level == "warning":
            print(f"warning: {log.message}", file=sys.stderr)
    return incident, taken[0], 0


def _write(incident: Incident, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(incident.model_dump_json(indent=2) + "\n")
    tmp.replace(out)


def _collect(args: argparse.Namespace) -> int:
    incident, samples, code = capture(args, quiet=args.quiet)
    if incident is None:
        return code
    try:
        _write(incident, args.out)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    kept = "partial capture, " if code else ""
    print(
        f"wrote {args.out}: {kept}{samples} samples, {len(incident.metrics)} metrics from {incident.instance.host}"
    )
    return code


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "collect",
        help="sample a live PostgreSQL/MySQL server (read-only) into an incident file",
        description="Sample a live server read-only into an incident file that `sleuth diagnose` reads.",
    )
    add_live_arguments(parser, dsn_required=True)
    parser.add_argument("--out", type=Path, required=True, help="incident JSON file to write")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=_collect)


@contextlib.contextmanager
def live_capture(args: argparse.Namespace) -> Iterator[tuple[list[str], int]]:
    """For ``sleuth diagnose --dsn``: the incident paths to diagnose, the capture among them, and its exit code.

    The capture is written to a temporary file so every diagnose option (formats, planner,
    trace) applies to it unchanged; a partial capture is still diagnosed, with exit code 1.
    """
    paths = [str(p) for p in getattr(args, "paths", None) or []]
    if not getattr(args, "dsn", None):
        yield paths, 0
        return
    with tempfile.TemporaryDirectory(prefix="sleuth-live-") as tmp:
        incident, _, code = capture(args)
        if incident is not None:
            path = Path(tmp) / f"{incident.id}.json"
            _write(incident, path)
            paths.append(str(path))
        yield paths, code
