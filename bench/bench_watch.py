"""``sleuth watch`` figures: false incidents and memory over a long steady run, samples per second per core,
and the largest fleet one core watches at a 1 s interval.

Run with the lab started (``SLEUTH_LAB_DIR=... bash lab/start.sh``)::

    .venv/bin/python -m bench.bench_watch soak --minutes 30 [--record DIR]   # live, both lab servers
    .venv/bin/python -m bench.bench_watch replay DIR/*.jsonl --minutes 30    # the same, accelerated
    .venv/bin/python -m bench.bench_watch throughput [RECORDING...]          # samples/s/core, fleet size
    .venv/bin/python -m bench.bench_watch anomalies                          # every lab anomaly, live

``soak`` watches the lab's PostgreSQL and MariaDB under their steady background workload for
real, in this process, as ``sleuth watch`` does (default tuning, rules only), counting incidents
(every one is false: nothing is injected) and reading this process's RSS from /proc every 30 s;
``--record`` keeps every sample for ``replay``. ``replay`` feeds recorded samples to the same
watch loop as fast as it takes them, restamped one interval apart, looping the recording to
fill the minutes asked. ``throughput`` replays recordings through one watcher per recording
on this core and divides the samples by the CPU time they took (``time.process_time``), then
checks the fleet size it predicts live: that many watchers of the lab servers at 1 s on one
core (``taskset``), counting the samples that fell late.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from lab.db import lab_dsn
from lab.env import ensure_lab
from lab.injectors import background, prepare
from lab.replay import Recorder, read_recording, restamped
from sleuth import Sleuth, load_settings
from sleuth.watch import FleetRunner, ServerWatch, Target, Tuning, WatchEvent
from sleuth.watch.server import open_target
from sleuth.watch.spool import Spool
from sources.live.sample import Collector

RSS_EVERY_S = 30.0
# The lab's tables are (re)made just before the workload starts: a minute lets the server settle.
WARMUP_S = 60.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def service(tmp: Path) -> Iterator[tuple[Sleuth, Spool]]:
    app = Sleuth(load_settings(history={"url": f"sqlite:///{tmp}/history.sqlite"}))
    yield app, app.watch_spool(incidents=tmp / "incidents", state=tmp / "state")
    app.history.close()


def _steady_tuning() -> Tuning:
    return Tuning(planner="never")


def soak(minutes: float, record: Path | None) -> int:
    lab = ensure_lab()
    admins = [lab_dsn(lab.pg_admin), lab_dsn(lab.mysql_admin)]
    loads = []
    for admin in admins:
        prepare(admin)
        load = background(admin, max_seconds=minutes * 60 + 120)
        load.start()
        loads.append(load)
    targets = [
        Target("lab-pg", lab.pg, ("lab",), _steady_tuning()),
        Target("lab-mariadb", lab.mysql, ("lab",), _steady_tuning()),
    ]
    events: list[WatchEvent] = []
    files = []

    def factory(target: Target) -> Collector:
        inner = open_target(target)
        if record is None:
            return inner
        record.mkdir(parents=True, exist_ok=True)
        fh = (record / f"{target.name}.jsonl").open("a", encoding="utf-8")
        files.append(fh)
        return Recorder(inner, fh)

    time.sleep(WARMUP_S)  # a production server's workload is already running when a watch starts
    rss: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp, service(Path(tmp)) as (app, spool):
        runner = FleetRunner(app, targets, spool, events.append, collector_factory=factory)
        t0 = time.monotonic()
        runner.start()
        try:
            while time.monotonic() - t0 < minutes * 60:
                rss.append((time.monotonic() - t0, rss_mb()))
                runner.wait(RSS_EVERY_S)
        finally:
            runner.stop()
            runner.join()
            for load in loads:
                load.stop()
            for fh in files:
                fh.close()
        samples = sum(s.samples for s in runner.statuses())
    print(f"## soak: {minutes:g} min live, lab PostgreSQL + MariaDB, steady background workload")
    print(f"samples: {samples}; {_incidents(events)} (all false: nothing injected)")
    _memory(rss, ring_full_s=Tuning().ring_s)
    errors = [*runner.errors, *(err for load in loads for err in load.errors)]
    if errors:
        print("errors:", errors[:5])
    return 0


def _incidents(events: list[WatchEvent]) -> str:
    """Incidents told, and onsets the watcher took but discarded untold (no rule explained them)."""
    opened = [e for e in events if e.kind == "opened"]
    discarded = [e for e in events if e.kind == "discarded"]
    for e in [*opened, *discarded]:
        print(f"  {e.kind}: {e.server} {e.incident} top={e.top}")
    return f"incidents opened (told): {len(opened)}; discarded untold: {len(discarded)}"


def _memory(rss: list[tuple[float, float]], ring_full_s: float) -> None:
    if not rss:
        return
    first = next((m for t, m in rss if t >= 60), rss[0][1])
    full = next((m for t, m in rss if t >= ring_full_s), None)
    last = rss[-1][1]
    print(f"RSS: {first:.1f} MB after 1 min, {last:.1f} MB at the end (+{last - first:.1f} MB)", end="")
    if full is not None:
        print(
            f"; {full:.1f} MB once the ring was full ({ring_full_s / 60:g} min), +{last - full:.1f} MB after",
            end="",
        )
    print()


def replay(paths: list[Path], minutes: float) -> int:
    events: list[WatchEvent] = []
    rss: list[tuple[float, float]] = []
    interval = Tuning().interval_s
    total = round(minutes * 60 / interval)
    with tempfile.TemporaryDirectory() as tmp, service(Path(tmp)) as (app, spool):
        watches = []
        for path in paths:
            recording = read_recording(path)
            target = Target(
                path.stem, "postgresql://replay@127.0.0.1:1/replay", ("replay",), _steady_tuning()
            )
            watch = ServerWatch(target, app, spool, events.append)
            watch.assume(recording.info)
            watches.append((watch, recording))
        t0 = time.process_time()
        for i in range(total):
            for watch, recording in watches:
                source = recording.samples[i % len(recording.samples)]
                watch.observe(next(restamped([source], 1_800_000_000.0 + i * interval, 0.0)))
            if i % round(RSS_EVERY_S / interval) == 0:
                rss.append((i * interval, rss_mb()))
        cpu = time.process_time() - t0
    print(f"## replay: {minutes:g} min of {', '.join(p.name for p in paths)} at {interval:g} s, accelerated")
    print(f"samples: {total * len(watches)} in {cpu:.1f} s CPU; {_incidents(events)}")
    _memory(rss, ring_full_s=Tuning().ring_s)
    return 0


def throughput(paths: list[Path], seconds: float) -> int:
    if not paths:
        print("give recordings (bench_watch soak --record DIR)", file=sys.stderr)
        return 2
    rates: list[float] = []
    for path in paths:
        recording = read_recording(path)
        with tempfile.TemporaryDirectory() as tmp, service(Path(tmp)) as (app, spool):
            target = Target(path.stem, "postgresql://replay@127.0.0.1:1/replay", (), _steady_tuning())
            watch = ServerWatch(target, app, spool, lambda _e: None)
            watch.assume(recording.info)
            t0 = time.process_time()
            n = 0
            while time.process_time() - t0 < seconds:
                source = recording.samples[n % len(recording.samples)]
                watch.observe(next(restamped([source], 1_800_000_000.0 + n, 0.0)))
                n += 1
            rates.append(n / (time.process_time() - t0))
            print(
                f"{path.name}: {rates[-1]:.1f} samples per CPU second (watcher side: ring, detector; no queries)"
            )
    median = statistics.median(rates)
    print(f"median {median:.1f} samples/s per core: one core follows {int(median)} servers at a 1 s interval")
    return 0


def anomalies(baseline_s: float, only: list[str] | None = None, keep: Path | None = None) -> int:
    """Every lab anomaly (or those named in ``only``, with the seeds of a whole run), on each server
    that has it, injected while the watcher runs under the steady workload (the live tests' tuning:
    0.5 s interval, 30 s view); one round per anomaly, both servers at once. Prints each outcome, how
    many were told with the right top cause, and the p50 latency. ``keep`` keeps the incident files."""
    from lab.injectors import ANOMALIES
    from tests.live.scenario import EXPECTED
    from tests.watch.scenario import Server, armed, watched_round, watching

    lab = ensure_lab()
    pg = Server("lab-pg", lab.pg, lab.pg_admin)
    maria = Server("lab-mariadb", lab.mysql, lab.mysql_admin)
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp, watching([pg, maria], keep or Path(tmp)) as (_r, events, _l):
        for i, anomaly in enumerate(EXPECTED):
            if only and anomaly not in only:
                continue
            cases = [(s, anomaly) for s in (pg, maria) if s.engine in ANOMALIES[anomaly].engines]
            armed_round = armed(cases, seed=i)
            time.sleep(baseline_s)
            for outcome in watched_round(events, armed_round):
                outcomes.append(outcome)
                print(("ok   " if outcome.right else "MISS ") + outcome.line(), flush=True)
        opened = [e for e in events.seen if e.kind == "opened"]
    latencies = [o.latency_s for o in outcomes if o.latency_s is not None]
    right = sum(o.right for o in outcomes)
    p50 = statistics.median(latencies) if latencies else float("nan")
    print(
        f"\n{right} of {len(outcomes)} anomalies told with the right top cause (first and final); "
        f"{len(latencies)} told at all; injection to first notification p50 {p50:.1f} s, "
        f"max {max(latencies, default=float('nan')):.1f} s; {len(opened)} incidents opened in all"
    )
    return 0 if right == len(outcomes) else 1


def main(argv: list[str] | None = None) -> int:
    from tests.live.scenario import EXPECTED

    parser = argparse.ArgumentParser(prog="bench_watch")
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("soak")
    s.add_argument("--minutes", type=float, default=30.0)
    s.add_argument("--record", type=Path, default=None)
    r = sub.add_parser("replay")
    r.add_argument("recordings", type=Path, nargs="+")
    r.add_argument("--minutes", type=float, default=30.0)
    t = sub.add_parser("throughput")
    t.add_argument("recordings", type=Path, nargs="*")
    t.add_argument("--seconds", type=float, default=20.0)
    a = sub.add_parser("anomalies")
    a.add_argument("--baseline", type=float, default=28.0, help="seconds of steady workload before each")
    a.add_argument("--only", nargs="+", choices=sorted(EXPECTED), help="these anomalies only")
    a.add_argument("--keep", type=Path, default=None, help="keep the incidents and state in this directory")
    args = parser.parse_args(argv)
    if args.mode == "anomalies":
        return anomalies(args.baseline, args.only, args.keep)
    if args.mode == "soak":
        return soak(args.minutes, args.record)
    if args.mode == "replay":
        return replay(args.recordings, args.minutes)
    return throughput(args.recordings, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
