"""Rules benchmark: time per incident for signals + rules, and batch throughput on two cores.

Run: ``.venv/bin/python bench/bench_rules.py [--incidents DIR] [--repeat N] [--batch N] [--jobs N]``
after importing the DBSherlock cases (``sleuth import dbsherlock
/work/shared/datasets/dbsherlock-tpcc16w --out /tmp/dbs``). Prints a Markdown
section for docs/BENCHMARKS.md.

Per incident it times the stages separately (signal extraction, the durable_rules
run alone, and the whole ``diagnose_with_rules`` including graph ranking and
HOW chains), because "signals + rules" is the figure the issue asks for and the
engine's own share is what the wrapper controls. The batch figure is end to end
from incident files (JSON parse included) through ``rules.batch.run_batch``.
"""

from __future__ import annotations

import argparse
import functools
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge_graph import KnowledgeGraph, load_default_graph  # noqa: E402
from models import Diagnosis, Incident  # noqa: E402
from rules import RuleBook, diagnose_with_rules, load_rulebook  # noqa: E402
from rules.batch import run_batch  # noqa: E402
from rules.engine import prepare, run_rules  # noqa: E402
from rules.facts import incident_facts  # noqa: E402
from sources.importers import expand_paths, load_incident  # noqa: E402


def _times(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call; CPU time stays honest when other work shares the cores."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c0) * 1000.0)
        wall.append((time.perf_counter() - w0) * 1000.0)
    return wall, cpu


def per_incident(incidents: list[Incident], book: RuleBook, repeat: int) -> dict[str, list[float]]:
    """Median over ``repeat`` runs of each incident, per stage; one figure per incident."""
    kg = load_default_graph()
    names = ("signals", "rules", "signals + rules", "diagnose")
    stages: dict[str, list[float]] = {
        "facts": [],
        **{n: [] for n in names},
        **{f"{n} (CPU)": [] for n in names},
    }

    def signals_and_rules(inc: Incident) -> object:
        return run_rules(book, incident_facts(inc, kg).all, engine=inc.instance.engine)

    for inc in incidents:
        facts = incident_facts(inc, kg).all
        stages["facts"].append(float(len(facts)))
        runs: dict[str, Callable[[], object]] = {
            "signals": functools.partial(incident_facts, inc, kg),
            "rules": functools.partial(run_rules, book, facts, engine=inc.instance.engine),
            "signals + rules": functools.partial(signals_and_rules, inc),
            "diagnose": functools.partial(diagnose_with_rules, inc, book, kg),
        }
        for name, fn in runs.items():
            wall, cpu = _times(fn, repeat)
            stages[name].append(statistics.median(wall))
            stages[f"{name} (CPU)"].append(statistics.median(cpu))
    return stages


@functools.lru_cache(maxsize=1)
def _worker_context() -> tuple[RuleBook, KnowledgeGraph]:
    kg = load_default_graph()
    book = load_rulebook(graph=kg)
    prepare(book)
    return book, kg


def diagnose_file(path: Path) -> Diagnosis:
    book, kg = _worker_context()
    return diagnose_with_rules(load_incident(path), book, kg)


def file_cpu_ms(paths: list[Path]) -> float:
    """Median CPU milliseconds to load and diagnose one incident file, in this process."""
    return statistics.median(_times(functools.partial(diagnose_file, p), 1)[1][0] for p in paths)


def throughput(paths: list[Path], size: int, jobs: int) -> tuple[float, int, float]:
    """Incidents per second, how many were diagnosed, and how many cores' worth of CPU the batch got."""
    batch = [paths[i % len(paths)] for i in range(size)]
    before = _cpu_seconds()
    start = time.perf_counter()
    done = sum(1 for o in run_batch(batch, diagnose_file, jobs=jobs) if o.diagnosis is not None)
    wall = time.perf_counter() - start
    return size / wall, done, (_cpu_seconds() - before) / wall


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=Path, default=Path("/tmp/dbs"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    paths = list(expand_paths([args.incidents]))
    if not paths:
        print(f"no incident files in {args.incidents}", file=sys.stderr)
        return 2
    incidents = [load_incident(p) for p in paths]
    book, _kg = _worker_context()
    stages = per_incident(incidents, book, args.repeat)
    facts = stages.pop("facts")
    per_file = file_cpu_ms(paths)
    rate1, ok1, cores1 = throughput(paths, args.batch, 1)
    rate, ok, cores = throughput(paths, args.batch, args.jobs)
    metrics = sorted({len(i.metrics) for i in incidents})
    samples = sorted({len(i.metrics[0].timestamps) for i in incidents if i.metrics})
    print("## Rules\n")
    print(
        f"Measured with `.venv/bin/python bench/bench_rules.py --repeat {args.repeat} --batch {args.batch}` "
        f"on {len(incidents)} incidents from `{args.incidents}` ({metrics[0]}-{metrics[-1]} metrics, "
        f"{samples[0]}-{samples[-1]} samples, {min(facts):.0f}-{max(facts):.0f} facts each; "
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
    print(
        f"\nBatch of {args.batch} incident files (JSON load + diagnosis): "
        f"{rate1:.0f} incidents/s with 1 job (using {cores1:.2f} cores), {rate:.0f} incidents/s with "
        f"{args.jobs} jobs (using {cores:.2f} cores; {ok1} and {ok} diagnosed). One file costs {per_file:.2f} ms of CPU (load + diagnose), so two "
        f"otherwise idle cores would sustain about {2 * 1000 / per_file:.0f} incidents/s."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
