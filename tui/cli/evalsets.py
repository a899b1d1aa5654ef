"""``sleuth evalsets``: evaluation sets made from labelled single-cause incidents.

Writes ``OUT/compound/*.json`` (two or three cases of different causes on one
timeline, every cause labelled) and ``OUT/healthy/*.json`` (each case's
normal stretches, labelled healthy), reproducibly from ``--seed``; see
``sources.evalsets`` for how they are made. ``sleuth eval OUT/compound`` and
``sleuth eval OUT/healthy`` score them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui.cli.common import OK, SOME_FAILED, guarded, positive_int, service


def register(sub: Any) -> None:
    p = sub.add_parser("evalsets", help="synthetic compound and healthy evaluation sets from labelled cases")
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="labelled single-cause incident files or directories"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory for compound/ and healthy/")
    p.add_argument("--seed", type=int, default=0, help="seed of the case and offset draws (default 0)")
    p.add_argument("--pairs", type=_count, default=60, metavar="N", help="two-cause compounds (default 60)")
    p.add_argument(
        "--triples", type=_count, default=20, metavar="N", help="three-cause compounds (default 20)"
    )
    p.set_defaults(handler=guarded(_evalsets))


def _count(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def _evalsets(args: argparse.Namespace) -> int:
    from sleuth import EvalSetOptions, IncidentError, UsageError

    app = service(args)
    paths = app.incident_files(args.paths)
    if not paths:
        raise UsageError("no incident files found in " + " ".join(args.paths))
    cases = []
    failed = 0
    for path in paths:
        try:
            cases.append(app.load_incident(path))
        except IncidentError as exc:
            failed += 1
            print(exc, file=sys.stderr)
    sets = app.make_eval_sets(cases, EvalSetOptions(seed=args.seed, pairs=args.pairs, triples=args.triples))
    out = Path(args.out)
    for folder, items in (("compound", sets.compounds), ("healthy", sets.healthy)):
        for incident in items:
            app.write_incident(incident, out / folder / f"{incident.id}.json")
    print(
        f"wrote {len(sets.compounds)} compounds to {out / 'compound'} and "
        f"{len(sets.healthy)} healthy slices to {out / 'healthy'}",
        file=sys.stderr,
    )
    return SOME_FAILED if failed else OK
