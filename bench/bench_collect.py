"""Collector cost on the lab servers: queries and milliseconds per sample, server CPU per second of capture,
and what diagnosing a capture costs.

Run: ``SLEUTH_LAB_DIR=/tmp/sleuth-lab-live .venv/bin/python -m bench.bench_collect [--seconds 30]`` with
the lab started (``lab/start.sh``). Prints a Markdown section for docs/BENCHMARKS.md.

Server CPU is read from /proc as the collectors' host probe reads it: user + system time of every
PostgreSQL process (the postmaster, the backends it reaped and those alive) or of the one
mariadbd process, over a capture at 1 s intervals against an
otherwise idle server, minus the same span with nothing collecting, as a share of one core. The
samples and the end-of-capture reads (tables, plans) are counted and timed apart through a
session that counts what the collector sends. Diagnosis is timed over the recorded lab captures
(``tests/live/cases``), rule book and graph loaded once, each capture several times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.env import ensure_lab, lab_dir
from rules.workload import workload_facts
from sleuth import Sleuth
from sources.live import collect, parse_dsn
from sources.live.dsn import Dsn
from sources.live.host import HostProbe
from sources.live.mysql import MySqlCollector
from sources.live.mysql.session import MySqlSession
from sources.live.postgres import PostgresCollector
from sources.live.postgres.session import PgSession
from sources.live.sample import Collector
from sources.live.session import Row, Session

REPO = Path(__file__).resolve().parents[1]

TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Counting:
    """A session that counts what the collector sends, and when."""

    inner: Session
    sent: list[str] = field(default_factory=list)

    @property
    def server_version(self) -> str:
        return self.inner.server_version

    def query(self, sql: str) -> list[Row]:
        self.sent.append(sql)
        return self.inner.query(sql)

    def explain(self, text: str) -> Any:
        self.sent.append(f"EXPLAIN {text}")
        return self.inner.explain(text)

    def end_snapshot(self) -> None:
        self.inner.end_snapshot()

    def close(self) -> None:
        self.inner.close()


class ServerCpu:
    """CPU seconds the server's processes used while it watched (``HostProbe``'s accounting: the main
    process, the backends it reaped and those alive, so a backend that came and went counts)."""

    def __init__(self, pidfile: Path) -> None:
        self.probe = HostProbe()
        root = int(pidfile.read_text().split()[0])
        if not self.probe.watch_server(root):
            raise SystemExit(f"process {root} (from {pidfile}) is not a database server on this machine")
        self.first = self.last = 0.0

    def _ticks(self) -> float:
        ticks = self.probe.server_ticks()
        if ticks is None:
            raise SystemExit("the server's process ended while its CPU was measured")
        return ticks

    def __enter__(self) -> ServerCpu:
        self.first = self._ticks()
        return self

    def __exit__(self, *_: object) -> None:
        self.last = self._ticks()

    @property
    def seconds(self) -> float:
        return (self.last - self.first) / TICK


def _collector(dsn: Dsn, sessions: list[Counting]) -> Collector:
    def factory(d: Dsn) -> Session:
        inner: Session = PgSession(d) if d.family == "postgres" else MySqlSession(d)
        counted = Counting(inner)
        sessions.append(counted)
        return counted

    if dsn.family == "postgres":
        return PostgresCollector(dsn, session_factory=factory)
    return MySqlCollector(dsn, session_factory=factory)


def per_sample(dsn: Dsn, n: int) -> tuple[list[float], float, int, float]:
    """Milliseconds and queries per sample, then the end-of-capture reads: queries and ms."""
    sessions: list[Counting] = []
    coll = _collector(dsn, sessions)
    coll.connect()
    try:
        coll.table_readings()
        session = sessions[0]
        before = len(session.sent)
        times: list[float] = []
        for _ in range(n):
            t0 = time.perf_counter()
            coll.sample(time.time())
            times.append((time.perf_counter() - t0) * 1000.0)
            time.sleep(0.2)
        queries = (len(session.sent) - before) / n
        t0 = time.perf_counter()
        mark = len(session.sent)
        coll.table_readings()
        coll.table_details(["lab_big", "lab_accounts", "lab_churn"])
        end_ms = (time.perf_counter() - t0) * 1000.0
        return times, queries, len(session.sent) - mark, end_ms
    finally:
        coll.close()


def cpu_share(dsn: str, pidfile: Path, seconds: float) -> tuple[float, float]:
    """(idle, collecting) server CPU over ``seconds``, as percent of one core."""
    t0 = time.monotonic()
    with ServerCpu(pidfile) as idle:
        time.sleep(seconds)
    idle_share = idle.seconds / (time.monotonic() - t0)
    t0 = time.monotonic()
    with ServerCpu(pidfile) as busy:
        collect(dsn, seconds, 1.0)
    return 100.0 * idle_share, 100.0 * busy.seconds / (time.monotonic() - t0)


def diagnosis_ms(files: list[Path], repeat: int) -> dict[str, list[float]]:
    """Per capture, ms of diagnosing it and naming its subjects: the first run (its statement texts
    not yet parsed), the median of the later runs (wall and CPU), and the statement, table and
    index facts alone (``rules.workload``)."""
    app = Sleuth()
    app.diagnose(app.load_incident(files[0]))  # the process's one-time imports and caches
    out: dict[str, list[float]] = {"first": [], "wall": [], "cpu": [], "workload facts": []}
    for path in files:
        incident = app.load_incident(path)
        wall, cpu, facts = [], [], []
        for _ in range(repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            d = app.diagnose(incident)
            wall.append((time.perf_counter() - w0) * 1000.0)
            cpu.append((time.process_time() - c0) * 1000.0)
            w0 = time.perf_counter()
            workload_facts(incident, d.window)
            facts.append((time.perf_counter() - w0) * 1000.0)
        out["first"].append(wall[0])
        out["wall"].append(statistics.median(wall[1:] or wall))
        out["cpu"].append(statistics.median(cpu[1:] or cpu))
        out["workload facts"].append(statistics.median(facts))
    return {k: sorted(v) for k, v in out.items()}


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f} ms, p95 {values[int(0.95 * (len(values) - 1))]:.1f} ms, max {values[-1]:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="span of each CPU measurement")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--captures",
        type=Path,
        default=REPO / "tests" / "live" / "cases",
        help="incident files to time diagnosis on (default: the recorded lab captures; full captures "
        "from SLEUTH_LAB_DUMP carry every collected series)",
    )
    parser.add_argument("--no-server", action="store_true", help="time diagnosis only")
    args = parser.parse_args(argv)
    files = sorted(args.captures.glob("*.json"))
    if args.no_server:
        _print_diagnosis(files, args.repeat)
        return 0
    lab = ensure_lab()
    folder = lab_dir()
    servers = [
        ("PostgreSQL", lab.pg, folder / "pg" / "data" / "postmaster.pid"),
        ("MariaDB", lab.mysql, folder / "mariadb" / "mariadb.pid"),
    ]
    print(
        "| server | queries / sample | ms / sample (median, p90) | end of capture | server CPU idle | collecting at 1 s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, dsn, pidfile in servers:
        times, queries, end_queries, end_ms = per_sample(parse_dsn(dsn), args.samples)
        times.sort()
        idle, busy = cpu_share(dsn, pidfile, args.seconds)
        print(
            f"| {name} | {queries:.1f} | {statistics.median(times):.1f}, {times[int(0.9 * (len(times) - 1))]:.1f} "
            f"| {end_queries} queries, {end_ms:.0f} ms | {idle:.2f} % | {busy:.2f} % "
            f"(+{busy - idle:.2f} % of a core) |"
        )
    _print_diagnosis(files, args.repeat)
    return 0


def _print_diagnosis(files: list[Path], repeat: int) -> None:
    figures = diagnosis_ms(files, repeat)
    print(f"\nDiagnosing {len(files)} captures ({files[0].parent}; rules + naming the subjects):\n")
    for name, values in figures.items():
        print(f"- {name}: {_spread(values)}")


if __name__ == "__main__":
    raise SystemExit(main())
