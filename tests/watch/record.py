"""Record what a lab server's collector returns, for the watcher's replay tests and benchmarks.

``python -m tests.watch.record OUT.jsonl.gz --engine postgres --seconds 300 [--anomaly NAME --at 200
--for 30]`` samples the lab server (``$SLEUTH_LAB_DIR``) every second under the steady background
workload, optionally injecting an anomaly from ``--at`` seconds for ``--for`` seconds, and writes
every sample with the statement texts. ``--statements N`` keeps the N busiest statements of each
sample (a steady recording needs none: the detector reads counters and gauges).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import threading
import time
from pathlib import Path

from lab.db import lab_dsn
from lab.env import ensure_lab
from lab.injectors import ANOMALIES, background, prepare
from sleuth.watch.server import open_target
from sleuth.watch.state import sample_json
from sleuth.watch.targets import Target, Tuning
from sources.live.sample import Sample


def _trim(sample: Sample, keep: int) -> Sample:
    statements = sample.statements
    if statements is None:
        return sample
    busiest = sorted(statements, key=lambda d: -statements[d].counters.get("total_time_ms", 0.0))
    sample.statements = {d: statements[d] for d in busiest[:keep]} if keep else None
    return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.watch.record")
    parser.add_argument("out", type=Path)
    parser.add_argument("--engine", choices=["postgres", "mysql"], required=True)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--anomaly", choices=sorted(ANOMALIES), default=None)
    parser.add_argument("--at", type=float, default=0.0)
    parser.add_argument("--for", dest="length", type=float, default=30.0)
    parser.add_argument("--statements", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--warmup",
        type=float,
        default=60.0,
        help="seconds of workload before the first sample (the tables are new)",
    )
    args = parser.parse_args(argv)
    lab = ensure_lab()
    monitor, admin = (lab.pg, lab.pg_admin) if args.engine == "postgres" else (lab.mysql, lab.mysql_admin)
    adm = lab_dsn(admin)
    prepare(adm)
    load = background(adm, max_seconds=args.seconds + 60)
    load.start()
    injector = ANOMALIES[args.anomaly].make(adm, random.Random(args.seed)) if args.anomaly else None
    timers: list[threading.Timer] = []
    marks: list[float] = []
    if injector is not None:
        begin = injector.start

        def start() -> None:
            marks.append(begin())

        timers = [
            threading.Timer(args.at, start),
            threading.Timer(args.at + args.length, injector.stop),
        ]
        for t in timers:
            t.daemon = True
    coll = open_target(Target("record", monitor, (), Tuning()))
    time.sleep(args.warmup)
    info = coll.connect()
    opener = gzip.open if args.out.suffix == ".gz" else open
    seen: set[str] = set()
    known: dict[str, list[str | None]] = {}
    try:
        with opener(args.out, "wt", encoding="utf-8") as fh:
            fh.write(json.dumps({"info": info.__dict__}) + "\n")
            t0 = time.monotonic()
            for t in timers:
                t.start()
            i = 0
            while time.monotonic() - t0 < args.seconds:
                due = t0 + i
                time.sleep(max(0.0, due - time.monotonic()))
                sample = coll.sample(time.time())
                for d, r in (sample.statements or {}).items():
                    if r.text is not None:
                        known[d] = [r.text, r.schema]
                sample = _trim(sample, args.statements)
                texts = {}
                for d in sample.statements or {}:
                    if d not in seen and d in known:
                        texts[d] = known[d]
                        seen.add(d)
                fh.write(json.dumps({"sample": sample_json(sample), "texts": texts}) + "\n")
                if marks:
                    fh.write(json.dumps({"anomaly": args.anomaly, "started": marks.pop()}) + "\n")
                i += 1
    finally:
        for t in timers:
            t.cancel()
        if injector is not None:
            injector.stop()
        load.stop()
        coll.close()
    print(f"{args.out}: {i} samples")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
