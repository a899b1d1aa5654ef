"""``sleuth schema``, ``sleuth validate``, ``sleuth import`` and ``sleuth summary``: the incident format's commands."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from models import Incident, TimeWindow, json_schema
from models.schema import SCHEMAS
from sources.importers import (
    ImportOptions,
    IncidentError,
    expand_paths,
    import_cloudwatch,
    import_dbsherlock,
    import_prometheus,
    load_incident,
    write_incident,
)


def register(sub: Any) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a file format")
    p.add_argument("name", choices=sorted(SCHEMAS), help="which format")
    p.set_defaults(handler=_schema)

    p = sub.add_parser("validate", help="check incident files; one line per bad file")
    p.add_argument("paths", nargs="+", metavar="PATH", help="incident files or directories")
    p.set_defaults(handler=_validate)

    p = sub.add_parser("summary", help="load, validate and summarise incident files")
    p.add_argument("paths", nargs="+", metavar="PATH", help="incident files or directories")
    p.set_defaults(handler=_summary)

    imp = sub.add_parser("import", help="turn other formats into incident files")
    isub = imp.add_subparsers(dest="format", metavar="FORMAT", required=True)
    d = isub.add_parser("dbsherlock", help="a DBSherlock directory (manifest.json + cases/*.csv)")
    d.add_argument("directory")
    d.add_argument("--out", required=True, help="directory for the incident files")
    d.set_defaults(handler=_import_dbsherlock)
    for name, helptext in (
        ("prometheus", "the JSON body of a Prometheus query_range answer"),
        ("cloudwatch", "the JSON of `aws cloudwatch get-metric-data`"),
    ):
        q = isub.add_parser(name, help=helptext)
        q.add_argument("file")
        q.add_argument("--out", help="incident file to write (default: stdout)")
        q.add_argument("--engine", choices=["mysql", "mariadb", "postgres"])
        q.add_argument("--id", dest="incident_id")
        q.add_argument("--title", default="")
        q.add_argument("--window", help="anomaly window START:END in the series' clock (seconds)")
        q.add_argument("--label", action="append", default=[], help="a true cause (for evaluation)")
        q.set_defaults(handler=_import_file, importer=name)


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(args.name), indent=2))
    return 0


def _validate(args: argparse.Namespace) -> int:
    bad = 0
    count = 0
    for path in expand_paths(args.paths):
        count += 1
        try:
            load_incident(path)
        except IncidentError as exc:
            bad += 1
            print(exc, file=sys.stderr)
    if count == 0:
        print("no incident files found", file=sys.stderr)
        return 1
    print(f"{count - bad} valid, {bad} invalid", file=sys.stderr)
    return 1 if bad else 0


def _clock(t: float) -> str:
    """Epoch seconds as UTC time; small numbers are relative seconds (DBSherlock's clock)."""
    if t > 1e9:
        return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return f"{t:g}s"


def summarise(incident: Incident) -> str:
    inst = incident.instance
    samples = max((len(m.timestamps) for m in incident.metrics), default=0)
    window = (
        f"window {_clock(incident.window.start)} .. {_clock(incident.window.end)}"
        if incident.window
        else "no window"
    )
    extras = [
        f"{len(incident.events)} events" if incident.events else "",
        f"{len(incident.top_sql)} SQL digests" if incident.top_sql else "",
        f"{len(incident.lock_waits)} lock waits" if incident.lock_waits else "",
        f"{len(incident.logs)} log lines" if incident.logs else "",
    ]
    version = f" {inst.version}" if inst.version else ""
    parts = [
        f"{incident.id}: {incident.title or '(untitled)'}",
        f"  {inst.engine}{version}, {len(incident.metrics)} metrics x {samples} samples, {window}",
    ]
    more = ", ".join(e for e in extras if e)
    if more:
        parts.append(f"  {more}")
    if incident.labels:
        parts.append(f"  labelled: {', '.join(incident.labels)}")
    return "\n".join(parts)


def _summary(args: argparse.Namespace) -> int:
    bad = 0
    for path in expand_paths(args.paths):
        try:
            print(summarise(load_incident(path)))
        except IncidentError as exc:
            bad += 1
            print(exc, file=sys.stderr)
    return 1 if bad else 0


def _import_dbsherlock(args: argparse.Namespace) -> int:
    out = Path(args.out)
    written = failed = 0
    try:
        for item in import_dbsherlock(args.directory):
            if isinstance(item, IncidentError):
                failed += 1
                print(item, file=sys.stderr)
                continue
            write_incident(item, out / f"{item.id}.json")
            written += 1
    except IncidentError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"wrote {written} incidents to {out}" + (f"; {failed} cases failed" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0


def _parse_window(text: str | None) -> TimeWindow | None:
    if not text:
        return None
    start, sep, end = text.partition(":")
    if not sep:
        raise ValueError("expected START:END")
    return TimeWindow(start=float(start), end=float(end))


def _import_file(args: argparse.Namespace) -> int:
    try:
        window = _parse_window(args.window)
    except ValueError as exc:
        print(f"sleuth import: --window {args.window!r}: {exc}", file=sys.stderr)
        return 2
    options = ImportOptions(
        engine=args.engine, incident_id=args.incident_id, title=args.title, window=window, labels=args.label
    )
    importer = import_prometheus if args.importer == "prometheus" else import_cloudwatch
    try:
        incident = importer(args.file, options)
    except IncidentError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.out:
        write_incident(incident, args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(incident.model_dump_json(indent=1, exclude_none=True))
    return 0
