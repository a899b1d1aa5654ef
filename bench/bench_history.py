"""History benchmark: a store of 100,000 diagnoses, its listing and similar-incident queries.

Run: ``.venv/bin/python -m bench.bench_history [--records N] [--queries N] [--url URL]``.
Prints a Markdown section for docs/BENCHMARKS.md.

The store is filled with synthetic diagnoses shaped like real ones: ten causes,
each moving its own ~20 of 120 metrics (with noise, and with a few metrics of
other causes), over two engines, every one confirmed (the worst case for
retrieval: every record is indexed). Records are written 1,000 per
transaction, as an import would; ``sleuth diagnose --record`` writes one per
transaction. Timings are wall-clock, in a fresh store in a temporary
directory unless ``--url`` names one (it must be empty).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert

from models import Incident
from sleuth.history.connect import WRITE, open_engine
from sleuth.history.desk import History
from sleuth.history.records import NewRecord, RecordedCause
from sleuth.history.store import Store
from sleuth.history.tables import verdicts

ROOT = Path(__file__).resolve().parents[1]

CAUSES = [f"cause_{i}" for i in range(10)]
METRICS = [f"metric_{i:03d}" for i in range(120)]
BATCH = 1000


def prototypes(rng: random.Random) -> dict[str, dict[str, float]]:
    return {
        c: {m: rng.choice((-1, 1)) * rng.uniform(1.0, 4.0) for m in rng.sample(METRICS, 20)} for c in CAUSES
    }


def synthetic(rng: random.Random, protos: dict[str, dict[str, float]], n: int) -> tuple[NewRecord, str]:
    cause = CAUSES[n % len(CAUSES)]
    sig = {m: round(v * rng.uniform(0.6, 1.4), 4) for m, v in protos[cause].items() if rng.random() > 0.15}
    for m in rng.sample(METRICS, 4):
        sig.setdefault(m, round(rng.uniform(-1.5, 1.5), 4))
    record = NewRecord(
        incident_id=f"synthetic-{n}",
        title="",
        engine="mysql" if n % 3 else "postgres",
        source="api",
        path=f"/incidents/synthetic-{n}.json",
        digest=f"{n:064x}",
        incident=None,
        diagnosis_path="rules",
        causes=(RecordedCause(cause, 0.8),),
        rulebook="bench",
        signature=sig,
        window=(40.0, 80.0),
        window_inferred=False,
        recorded_at=1.7e9 + n,
    )
    return record, cause


def fill(url: str, records: int, rng: random.Random) -> tuple[float, dict[str, dict[str, float]]]:
    """Write the records and confirm each; seconds spent, and the cause prototypes used."""
    protos = prototypes(rng)
    store = Store(url)
    engine = open_engine(url)
    started = time.perf_counter()
    for first in range(0, records, BATCH):
        batch = [synthetic(rng, protos, n) for n in range(first, min(records, first + BATCH))]
        ids = store.add_many([r for r, _ in batch])
        with engine.connect() as connection:
            connection.execution_options(**{WRITE: True})
            with connection.begin():
                connection.execute(
                    insert(verdicts),
                    [
                        {
                            "diagnosis_id": i,
                            "cause": c,
                            "verdict": "confirmed",
                            "note": "",
                            "decided_at": 1.8e9,
                        }
                        for i, (_, c) in zip(ids, batch, strict=True)
                    ],
                )
    store.set_verdicts(1, [CAUSES[0]], "confirmed", "", 1.8e9)  # one real verdict write bumps the revision
    engine.dispose()
    store.close()
    return time.perf_counter() - started, protos


def refuse(path: Path) -> Incident:
    raise AssertionError(f"the benchmark reads no incident ({path})")


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--url", help="an empty history database (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CACHE_HOME"] = str(Path(folder) / "cache")  # the index cache goes away with it
        url = args.url or f"sqlite:///{Path(folder) / 'history.sqlite'}"
        fill_s, protos = fill(url, args.records, rng)
        history = History(url, refuse)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        past = history.past()
        load_ms = (time.perf_counter() - t0) * 1000.0
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) * 1024
        t0 = time.perf_counter()
        History(url, refuse).past()  # as a new process would: the cached index, then what changed
        cached_ms = (time.perf_counter() - t0) * 1000.0
        queries = [synthetic(rng, protos, n)[0] for n in range(args.queries)]
        pick = iter(queries * 2)
        store = history.store
        rows = [
            ("list newest 50 (`history list`)", timed(lambda: store.entries(limit=50), args.queries)),
            (
                "list a page further back (`--before`)",
                timed(lambda: store.entries(limit=50, before=rng.randint(100, args.records)), args.queries),
            ),
            ("list confirmed only", timed(lambda: store.entries(limit=50, confirmed=True), args.queries)),
            (
                "one record by number (`history show`)",
                timed(lambda: store.get(rng.randint(1, args.records)), args.queries),
            ),
            ("revision check (nothing changed)", timed(history.past, args.queries)),
        ]

        def similar() -> object:
            q = next(pick)
            return past.search(q.signature, q.engine, 5)

        def similar_fresh() -> object:
            q = next(pick)
            return history.past().search(q.signature, q.engine, 5)

        rows.append(("similar, top 5 (index in memory)", timed(similar, args.queries)))
        rows.append(("similar, top 5, with the revision check", timed(similar_fresh, args.queries)))
        hits = sum(
            past.search(q.signature, q.engine, 1)[0].causes[0]
            == CAUSES[int(q.incident_id.split("-")[1]) % 10]
            for q in queries[:200]
        )
        history.close()
    backend = url.split(":", 1)[0]
    print(f"### History: {args.records:,} confirmed diagnoses ({backend})\n")
    print(f"Filled in {fill_s:.1f} s ({args.records / fill_s:,.0f} records/s, {BATCH} per transaction).")
    print(
        f"Loading the similar-incident index from the database (then caching it): {load_ms:.0f} ms, "
        f"peak RSS +{grown / 1048576:.0f} MB; from the index cached on disk, in a new process: {cached_ms:.0f} ms. "
        f"Nearest-neighbour cause agrees on {hits}/{min(200, len(queries))} queries.\n"
    )
    print("| query | median | p95 |\n|---|---:|---:|")
    for name, (median, p95) in rows:
        print(f"| {name} | {median:.2f} ms | {p95:.2f} ms |")


if __name__ == "__main__":
    main()
