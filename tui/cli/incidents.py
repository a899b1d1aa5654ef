"""``sleuth schema``, ``validate``, ``import`` and ``summary``: the commands of the incident format."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import TimeWindow, json_schema
from models.schema import SCHEMAS
from sleuth import IncidentError, Sleuth, UsageError
from sleuth.render import incident_summary
from tui.cli.common import OK, SOME_FAILED, USAGE, add_force_option, guarded, one_line


def register(sub: Any) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a file format")
    p.add_argument("name", choices=sorted(SCHEMAS), help="which format")
    p.set_defaults(handler=_schema)

    p = sub.add_parser("validate", help="check incident files; one line per bad file")
    p.add_argument("paths", nargs="+", metavar="PATH", help="incident files or directories")
    p.set_defaults(handler=guarded(_validate))

    p = sub.add_parser("summary", help="load, validate and summarise incident files")
    p.add_argument("paths", nargs="+", metavar="PATH", help="incident files or directories")
    p.set_defaults(handler=guarded(_summary))

    imp = sub.add_parser("import", help="turn other formats into incident files")
    isub = imp.add_subparsers(dest="format", metavar="FORMAT", required=True)
    d = isub.add_parser("dbsherlock", help="a DBSherlock directory (manifest.json + cases/*.csv)")
    d.add_argument("directory")
    d.add_argument("--out", required=True, help="directory for the incident files")
    add_force_option(d, "incident files already in --out")
    d.set_defaults(handler=guarded(_import_dbsherlock))
    for name, helptext in (
        ("prometheus", "the JSON body of a Prometheus query_range answer"),
        ("cloudwatch", "the JSON of `aws cloudwatch get-metric-data`"),
    ):
        q = isub.add_parser(name, help=helptext)
        q.add_argument("file")
        q.add_argument("--out", help="incident file to write (default: stdout)")
        add_force_option(q, "the --out file")
        q.add_argument("--engine", choices=["mysql", "mariadb", "postgres"])
        q.add_argument("--id", dest="incident_id")
        q.add_argument("--title", default="")
        q.add_argument("--window", help="anomaly window START:END in the series' clock (seconds)")
        q.add_argument(
            "--label",
            action="append",
            default=[],
            help="a true cause, a cause id of the knowledge graph (for evaluation)",
        )
        q.set_defaults(handler=guarded(_import_file), importer=name)


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(args.name), indent=2))
    return 0


def _validate(args: argparse.Namespace) -> int:
    app = Sleuth()
    bad = 0
    count = 0
    for path in app.incident_files(args.paths):
        count += 1
        try:
            app.load_incident(path)
        except IncidentError as exc:
            bad += 1
            print(exc, file=sys.stderr)
    if count == 0:
        print("no incident files found", file=sys.stderr)
        return SOME_FAILED
    print(f"{count - bad} valid, {bad} invalid", file=sys.stderr)
    return SOME_FAILED if bad else OK


def _summary(args: argparse.Namespace) -> int:
    app = Sleuth()
    bad = count = 0
    for path in app.incident_files(args.paths):
        count += 1
        try:
            text = incident_summary(app.load_incident(path))
        except IncidentError as exc:
            bad += 1
            print(exc, file=sys.stderr)
            continue
        except Exception as exc:  # one summary that cannot be drawn must not end the batch
            bad += 1
            print(f"{path}: cannot summarise: {one_line(exc)}", file=sys.stderr)
            continue
        print(text)
    if count == 0:
        print("no incident files found", file=sys.stderr)
        return SOME_FAILED
    return SOME_FAILED if bad else OK


def _import_dbsherlock(args: argparse.Namespace) -> int:
    """Every case written or one line saying why not; the folder is checked before the first case."""
    app = Sleuth()
    out = Path(args.out)
    app.check_output_folder(out)
    written = failed = 0
    try:
        for item in app.import_dbsherlock(Path(args.directory)):
            if isinstance(item, IncidentError):
                failed += 1
                print(item, file=sys.stderr)
                continue
            try:
                app.write_incident(item, out / f"{item.id}.json", force=args.force)
            except OSError as exc:
                failed += 1
                print(one_line(exc), file=sys.stderr)
                continue
            written += 1
    except IncidentError as exc:
        print(exc, file=sys.stderr)
        return SOME_FAILED
    print(
        f"wrote {written} incidents to {out}" + (f"; {failed} cases failed" if failed else ""),
        file=sys.stderr,
    )
    return SOME_FAILED if failed else OK


def parse_window(text: str | None) -> TimeWindow | None:
    """``START:END`` in the series' clock, or a ``ValueError`` whose message is one line."""
    if not text:
        return None
    start, sep, end = text.partition(":")
    if not sep:
        raise ValueError("expected START:END")
    try:
        bounds = float(start), float(end)
    except ValueError:
        raise ValueError("START and END must be numbers of seconds") from None
    try:
        return TimeWindow(start=bounds[0], end=bounds[1])
    except ValidationError as exc:
        raise ValueError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None


def _import_file(args: argparse.Namespace) -> int:
    try:
        window = parse_window(args.window)
    except ValueError as exc:
        print(f"sleuth import: --window {args.window!r}: {exc}", file=sys.stderr)
        return USAGE
    app = Sleuth()
    out = Path(args.out) if args.out else None
    if out is not None:
        try:
            app.check_output(out, force=args.force)
        except OSError as exc:
            raise UsageError(f"--out {exc}") from None
    try:
        incident = app.import_metrics(
            args.importer,
            Path(args.file),
            engine=args.engine,
            incident_id=args.incident_id,
            title=args.title,
            window=window,
            labels=args.label,
        )
    except IncidentError as exc:
        print(exc, file=sys.stderr)
        return SOME_FAILED
    if out is None:
        print(incident.model_dump_json(indent=1, exclude_none=True))
        return OK
    try:
        app.write_incident(incident, out, force=args.force)
    except OSError as exc:
        print(f"sleuth import: {one_line(exc)}", file=sys.stderr)
        return SOME_FAILED
    print(f"wrote {out}", file=sys.stderr)
    return OK
