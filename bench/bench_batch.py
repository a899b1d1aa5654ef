"""Batch throughput: ``sleuth diagnose DIR --no-llm --jobs N`` on DBSherlock incidents, as a user runs it.

Run: ``.venv/bin/python -m bench.bench_batch [--incidents DIR] [--copies N] [--jobs 1 2] [--runs N]``
after importing the DBSherlock cases (``sleuth import dbsherlock
../shared/datasets/dbsherlock-tpcc16w --out /tmp/dbs``). Prints a Markdown
section for docs/BENCHMARKS.md.

The batch is the cases copied ``--copies`` times into a scratch folder (700
files by default). Each run is the real command in a fresh process, so the
figure includes start-up, loading the rules and the graph, reading and
validating every file, and writing one JSON line per incident. CPU per incident
is the whole process tree's user + system time divided by the incidents, which
stays honest when other work shares the machine; wall-clock throughput does
not, so the load average is printed beside it.

Start-up is measured apart: the CPU of ``sleuth diagnose FILE`` on one file
(median of the runs), which is imports, settings, the graph and the rule book
(from the compiled cache the warm-up run filled) and one diagnosis.

Every run writes and reads bytecode in a scratch ``PYTHONPYCACHEPREFIX`` even
where ``PYTHONDONTWRITEBYTECODE`` is set, as an installed sleuth has its
bytecode: otherwise each run compiles every module edited since the bytecode
was last written, a cost no user pays.

On a busy shared machine even CPU time drifts by a fifth from run to run.
``--instructions`` adds one run per job count under valgrind's callgrind: the
instructions executed by the whole process tree per incident, which other work
does not change (about fifty times slower; use fewer ``--copies``). A forked
worker's counters are zeroed at the fork (``PyOS_AfterFork_Child``), since it
would otherwise carry the parent's count up to that point.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SLEUTH = Path(sys.executable).with_name("sleuth")
ENV = dict(os.environ)


def bytecode_in(folder: Path) -> None:
    """Runs from now on keep their bytecode in ``folder`` (see the module's docstring)."""
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = str(folder)


def make_batch(source: Path, copies: int, target: Path) -> int:
    files = sorted(source.glob("*.json"))
    if not files:
        raise SystemExit(f"no incident files in {source}; import the DBSherlock cases first")
    for i in range(copies):
        for f in files:
            shutil.copyfile(f, target / f"{f.stem}-{i:03d}.json")
    return len(files) * copies


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(folder: Path, jobs: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds of one ``sleuth diagnose`` run over the folder (or one file)."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    subprocess.run(
        [str(SLEUTH), "diagnose", str(folder), "--no-llm", "--format", "json", "--jobs", str(jobs)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=ENV,
    )
    return time.perf_counter() - t0, children_cpu() - cpu0


def instructions(folder: Path, jobs: int) -> int:
    """Instructions the whole ``sleuth diagnose`` process tree executes, counted by callgrind."""
    with tempfile.TemporaryDirectory(prefix="sleuth-bench-callgrind-") as out:
        log = Path(out) / "log"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--trace-children=yes",
                "--zero-before=PyOS_AfterFork_Child",
                f"--callgrind-out-file={out}/callgrind.%p",
                f"--log-file={log}.%p",
                sys.executable,
                str(SLEUTH),
                "diagnose",
                str(folder),
                "--no-llm",
                "--format",
                "json",
                "--jobs",
                str(jobs),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            env=ENV,
        )
        counts = re.findall(r"Collected : (\d+)", "".join(p.read_text() for p in Path(out).glob("log.*")))
    return sum(int(c) for c in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=Path, default=Path("/tmp/dbs"))
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="sleuth-bench-batch-") as tmp,
        tempfile.TemporaryDirectory(prefix="sleuth-bench-pyc-") as pyc,
    ):
        folder = Path(tmp)
        bytecode_in(Path(pyc))
        n = make_batch(args.incidents, args.copies, folder)
        run_once(folder, 1)  # warm the page cache, the bytecode and the compiled rule book and graph
        print(
            f"## Batch throughput\n\n{n} DBSherlock incident files, `sleuth diagnose DIR --no-llm --format json`;"
        )
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start.\n")
        print("| jobs | incidents/s (median of runs) | wall s | CPU ms per incident |")
        print("|---:|---:|---:|---:|")
        for jobs in args.jobs:
            walls, cpus = zip(*(run_once(folder, jobs) for _ in range(args.runs)), strict=True)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            print(f"| {jobs} | {n / wall:.0f} | {wall:.2f} | {cpu / n * 1000:.2f} |")
        one = min(folder.glob("*.json"))
        startup = statistics.median(run_once(one, 1)[1] for _ in range(max(args.runs, 5)))
        print(f"\nOne file (start-up and one diagnosis): {startup * 1000:.0f} ms CPU (median).")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
        if args.instructions:
            print("\n| jobs | instructions per incident (whole tree, start-up included) |")
            print("|---:|---:|")
            for jobs in args.jobs:
                print(f"| {jobs} | {instructions(folder, jobs) / n / 1e6:.1f} M |")


if __name__ == "__main__":
    main()
