"""Rules benchmark: CPU and wall time per incident for each stage of a rules-only diagnosis.

Run: ``.venv/bin/python -m bench.bench_rules [--incidents DIR] [--repeat N] [--instructions]`` after
importing the DBSherlock cases (``sleuth import dbsherlock ../shared/datasets/dbsherlock-tpcc16w
--out /tmp/dbs``). Prints a Markdown section for docs/BENCHMARKS.md; batch throughput, with file
reading and output, is ``bench.bench_batch``.

``--instructions`` adds the instructions one whole diagnosis executes (``Sleuth.diagnose``, every
incident twice), counted by valgrind's callgrind with instrumentation switched on only once the
incidents are loaded and diagnosed once: a figure other work on the machine does not move,
unlike CPU time on two shared cores. ``--stage signals`` (or ``signals-inferred``) counts the
signal extraction alone instead, with the labelled window (or the window inferred), as the
pipeline calls it.

The service loads the rule book and the graph, as every entry point does; the
stages are then timed apart (signal extraction over every window the
diagnosis measures, the durable_rules runs alone — one per window — both, and
the whole diagnosis with graph ranking and HOW chains), because the engine's
own share is what its wrapper controls.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from knowledge_graph import KnowledgeGraph
from models import Incident
from rules import RuleBook
from rules.materiality import service_bar
from rules.pipeline import watched_signals, window_runs
from rules.signals import SignalSet, extract_signals
from sleuth import DiagnoseOptions, Sleuth


def _times(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call; CPU time stays honest when other work shares the cores."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c0) * 1000.0)
        wall.append((time.perf_counter() - w0) * 1000.0)
    return wall, cpu


def per_incident(app: Sleuth, incidents: list[Incident], repeat: int) -> dict[str, list[float]]:
    """Median over ``repeat`` runs of each incident, per stage; one figure per incident."""
    kg: KnowledgeGraph = app.graph
    book: RuleBook = app.book()
    names = ("signals", "rules", "signals + rules", "diagnose")
    stages: dict[str, list[float]] = {
        "facts": [],
        "windows": [],
        **{n: [] for n in names},
        **{f"{n} (CPU)": [] for n in names},
    }

    watched = watched_signals(book)

    def signals(inc: Incident) -> SignalSet:
        return extract_signals(inc, kg, watched=watched)

    def signals_and_rules(inc: Incident) -> object:
        return window_runs(inc, signals(inc), book)

    for inc in incidents:
        measured = signals(inc)
        stages["facts"].append(float(len(measured.facts)))
        stages["windows"].append(float(len(measured.windows) or 1))
        runs: dict[str, Callable[[], object]] = {
            "signals": functools.partial(signals, inc),
            "rules": functools.partial(window_runs, inc, measured, book),
            "signals + rules": functools.partial(signals_and_rules, inc),
            "diagnose": functools.partial(app.diagnose, inc),
        }
        for name, fn in runs.items():
            wall, cpu = _times(fn, repeat)
            stages[name].append(statistics.median(wall))
            stages[f"{name} (CPU)"].append(statistics.median(cpu))
    return stages


PASSES = 2


STAGES = ("diagnose", "signals", "signals-inferred")


def instructions(incidents: Path, passes: int = PASSES, stage: str = "diagnose") -> float:
    """Instructions per incident of ``stage`` (a whole diagnosis by default): a child runs it over every
    incident ``passes`` times under callgrind, instrumented from the moment it says it is ready
    (imports, loading, first runs excluded)."""
    with tempfile.TemporaryDirectory(prefix="sleuth-bench-rules-") as tmp:
        ready, go, out = Path(tmp) / "ready", Path(tmp) / "go", Path(tmp) / "callgrind.out"
        child = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                f"--log-file={tmp}/log",
                sys.executable,
                "-m",
                "bench.bench_rules",
                "--incidents",
                str(incidents),
                "--callgrind-child",
                str(ready),
                str(go),
                str(passes),
                "--stage",
                stage,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 1800
        while not ready.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                child.kill()
                raise SystemExit(f"the callgrind child never got ready (see {tmp}/log)")
            time.sleep(0.2)
        subprocess.run(
            ["callgrind_control", "-i", "on", str(child.pid)], check=True, stdout=subprocess.DEVNULL
        )
        go.touch()
        if child.wait(timeout=3600) != 0:
            raise SystemExit(f"the callgrind child failed (see {tmp}/log)")
        totals = next(
            line for line in out.read_text().splitlines() if line.startswith(("summary:", "totals:"))
        )
        count = int(ready.read_text())
        return int(totals.split()[1]) / (count * passes)


def _callgrind_child(incidents: Path, ready: Path, go: Path, passes: int, stage: str) -> None:
    """What ``instructions`` counts: ``stage`` of every incident ``passes`` times, after a first run."""
    app = Sleuth()
    app.check(DiagnoseOptions())
    loaded = [app.load_incident(p) for p in app.incident_files([incidents])]
    run: Callable[[Incident], object] = app.diagnose
    if stage != "diagnose":
        book = app.book()
        run = functools.partial(
            _pipeline_signals,
            kg=app.graph,
            watched=watched_signals(book),
            bar=service_bar(book),
            infer_window=stage == "signals-inferred",
        )
    for incident in loaded:
        run(incident)
    ready.write_text(str(len(loaded)))
    while not go.exists():
        time.sleep(0.05)
    for _ in range(passes):
        for incident in loaded:
            run(incident)
    sys.stdout.flush()
    os._exit(0)  # the interpreter's shutdown is no diagnosis's cost


def _pipeline_signals(
    incident: Incident, kg: KnowledgeGraph, watched: frozenset[str], bar: float, infer_window: bool
) -> SignalSet:
    """The signals as ``rules.pipeline`` asks for them: the metrics the rules read, the book's service bar."""
    return extract_signals(incident, kg, infer_window=infer_window, watched=watched, bar=bar)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=Path, default=Path("/tmp/dbs"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument(
        "--stage", choices=STAGES, default="diagnose", help="what --instructions counts (default: diagnose)"
    )
    parser.add_argument(
        "--callgrind-child", nargs=3, metavar=("READY", "GO", "PASSES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.callgrind_child:
        ready, go, passes = args.callgrind_child
        _callgrind_child(args.incidents, Path(ready), Path(go), int(passes), args.stage)
    app = Sleuth()
    app.check(DiagnoseOptions())
    paths = app.incident_files([args.incidents])
    if not paths:
        print(f"no incident files in {args.incidents}", file=sys.stderr)
        return 2
    incidents = [app.load_incident(p) for p in paths]
    load_cpu = statistics.median(_times(functools.partial(app.load_incident, p), 1)[1][0] for p in paths)
    stages = per_incident(app, incidents, args.repeat)
    facts = stages.pop("facts")
    windows = stages.pop("windows")
    book = app.book()
    metrics = sorted({len(i.metrics) for i in incidents})
    samples = sorted({len(i.metrics[0].timestamps) for i in incidents if i.metrics})
    print("## Rules\n")
    print(
        f"Measured with `.venv/bin/python -m bench.bench_rules --repeat {args.repeat}` "
        f"on {len(incidents)} incidents from `{args.incidents}` ({metrics[0]}-{metrics[-1]} metrics, "
        f"{samples[0]}-{samples[-1]} samples, {min(facts):.0f}-{max(facts):.0f} facts each, "
        f"{sum(windows) / len(windows):.2f} windows on average, {sum(w == 1 for w in windows)} with one; "
        f"{len(book)} rules) on this machine (2 cores). Per incident: the median of {args.repeat} runs; "
        "the table gives the median and p95 of those over the incidents.\n"
    )
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(
        "| stage (per incident) | wall median | wall p95 | CPU median | CPU p95 |\n|---|---:|---:|---:|---:|"
    )
    for name in ("signals", "rules", "signals + rules", "diagnose"):
        wall, cpu = stages[name], stages[f"{name} (CPU)"]
        qw, qc = statistics.quantiles(wall, n=20), statistics.quantiles(cpu, n=20)
        print(
            f"| {name} | {statistics.median(wall):.2f} ms | {qw[18]:.2f} ms | "
            f"{statistics.median(cpu):.2f} ms | {qc[18]:.2f} ms |"
        )
    print(f"\nLoad average when the table was printed: {load} (other work shared the two cores).")
    print(f"\nReading and validating one incident file: {load_cpu:.2f} ms of CPU (median).")
    if args.instructions:
        count = instructions(args.incidents, stage=args.stage)
        what = "diagnosis" if args.stage == "diagnose" else f"incident, {args.stage},"
        print(
            f"\nInstructions per {what} (callgrind, {PASSES} passes over the incidents): {count / 1e6:.2f} M."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
