"""``sleuth confirm``, ``reject`` and ``history list|show|export``: the DBA's verdicts and the record.

INCIDENT is a history record number (``12`` or ``#12``), an incident file (the
latest record of that file; one never recorded is diagnosed by the rules and
recorded first) or an incident id (its latest record).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import OK, add_config_option, add_history_option, guarded, positive_int, service

if TYPE_CHECKING:
    from sleuth.history import HistoryEntry

INCIDENT_HELP = "a history record number (12 or #12), an incident file, or an incident id"


def register(sub: Any) -> None:
    c = sub.add_parser("confirm", help="confirm the causes of an incident (the history learns from them)")
    c.add_argument("incident", metavar="INCIDENT", help=INCIDENT_HELP)
    c.add_argument("causes", nargs="+", metavar="CAUSE", help="causes of the knowledge graph")
    c.add_argument("--note", default="", metavar="TEXT", help="what the DBA found")
    _common(c)
    c.set_defaults(handler=guarded(_confirm))

    r = sub.add_parser("reject", help="say a cause of an incident's diagnosis is wrong")
    r.add_argument("incident", metavar="INCIDENT", help=INCIDENT_HELP)
    r.add_argument("cause", metavar="CAUSE", help="a cause of the knowledge graph")
    r.add_argument("--note", default="", metavar="TEXT", help="why")
    _common(r)
    r.set_defaults(handler=guarded(_reject))

    h = sub.add_parser("history", help="the recorded diagnoses and verdicts")
    hsub = h.add_subparsers(dest="history_command", metavar="COMMAND", required=True)
    listing = hsub.add_parser("list", help="recorded diagnoses, newest first")
    listing.add_argument("--limit", type=positive_int, default=50, metavar="N")
    listing.add_argument("--before", type=positive_int, metavar="ID", help="page back from this record")
    listing.add_argument("--incident", metavar="ID", help="only this incident id")
    listing.add_argument("--engine", choices=["mysql", "mariadb", "postgres"])
    judged = listing.add_mutually_exclusive_group()
    judged.add_argument("--confirmed", action="store_true", help="only records with a confirmed cause")
    judged.add_argument("--unconfirmed", action="store_true", help="only records without one")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    _common(listing)
    listing.set_defaults(handler=guarded(_list))
    show = hsub.add_parser("show", help="one record with its causes and verdicts")
    show.add_argument("incident", metavar="INCIDENT", help=INCIDENT_HELP)
    show.add_argument("--format", choices=["text", "json"], default="text")
    _common(show)
    show.set_defaults(handler=guarded(_show))
    export = hsub.add_parser("export", help="every record as JSON Lines (one object per line)")
    export.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    _common(export)
    export.set_defaults(handler=guarded(_export))


def _common(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    add_history_option(parser)


def _confirm(args: argparse.Namespace) -> int:
    entry = service(args).confirm(args.incident, args.causes, args.note)
    print(f"#{entry.id} {entry.incident_id}: confirmed {', '.join(entry.confirmed)}")
    return OK


def _reject(args: argparse.Namespace) -> int:
    entry = service(args).reject(args.incident, args.cause, args.note)
    print(f"#{entry.id} {entry.incident_id}: rejected {', '.join(entry.rejected)}")
    return OK


def _list(args: argparse.Namespace) -> int:
    confirmed = True if args.confirmed else False if args.unconfirmed else None
    entries = service(args).history.entries(
        limit=args.limit,
        before=args.before,
        incident_id=args.incident,
        engine=args.engine,
        confirmed=confirmed,
    )
    if args.format == "json":
        for entry in entries:
            print(json.dumps(_summary(entry)))
        return OK
    print(f"{'#':>6} {'recorded':<20} {'incident':<32} {'engine':<8} {'top cause':<26} verdicts")
    for entry in entries:
        top = entry.top_cause or f"({entry.diagnosis_path})"
        print(
            f"{entry.id:>6} {_when(entry.recorded_at):<20} {entry.incident_id[:32]:<32} {entry.engine:<8} "
            f"{top[:26]:<26} {_verdicts(entry)}"
        )
    return OK


def _show(args: argparse.Namespace) -> int:
    from sleuth import UsageError

    entry = service(args).history.resolve(args.incident)
    if entry is None:
        raise UsageError(f"{args.incident}: not in the history")
    if args.format == "json":
        print(json.dumps(entry.as_json(), indent=1))
        return OK
    where = entry.path or "(kept in the history)"
    lines = [
        f"#{entry.id} {entry.incident_id}" + (f" — {entry.title}" if entry.title else ""),
        f"  recorded {_when(entry.recorded_at)} from {entry.source}; {entry.engine}; rules {entry.rulebook}",
        f"  incident {where} (sha256 {entry.digest[:12]})",
        f"  diagnosed by {entry.diagnosis_path}"
        + (f", window {entry.window[0]:g}..{entry.window[1]:g}" if entry.window else ""),
    ]
    lines += [f"  {c.cause:<28} {c.certainty:.2f}  ({c.source})" for c in entry.causes] or ["  no cause"]
    for verdict in entry.verdicts:
        note = f" — {verdict.note}" if verdict.note else ""
        lines.append(f"  {verdict.verdict} {verdict.cause} on {_when(verdict.decided_at)}{note}")
    moved = sorted(entry.signature.items(), key=lambda kv: -abs(kv[1]))[:8]
    if moved:
        lines.append("  moved: " + ", ".join(f"{m} {'up' if v > 0 else 'down'}" for m, v in moved))
    print("\n".join(lines))
    return OK


def _export(args: argparse.Namespace) -> int:
    app = service(args)
    out = args.out.open("w", encoding="utf-8") if args.out is not None else sys.stdout
    count = 0
    try:
        for entry in app.history.export():
            out.write(json.dumps(entry.as_json()) + "\n")
            count += 1
    finally:
        if args.out is not None:
            out.close()
    print(f"{count} records", file=sys.stderr)
    return OK


def _summary(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "recorded_at": entry.recorded_at,
        "incident": entry.incident_id,
        "engine": entry.engine,
        "diagnosis_path": entry.diagnosis_path,
        "causes": [c.cause for c in entry.causes],
        "confirmed": list(entry.confirmed),
        "rejected": list(entry.rejected),
        "note": entry.note,
    }


def _verdicts(entry: HistoryEntry) -> str:
    parts = [f"+{c}" for c in entry.confirmed] + [f"-{c}" for c in entry.rejected]
    return " ".join(parts) or "-"


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
