"""Knowledge-graph benchmark: load time, per-query times, and graph-only ranking on DBSherlock.

Run: ``.venv/bin/python -m bench.bench_kg [--repeat N] [--dataset DIR]``.
Prints a Markdown section for docs/BENCHMARKS.md.

``--yaml`` instead times reading the authoring YAML (graph files and rule packs)
with positions, and how fast hostile files are refused. When ``ruamel.yaml`` is
importable (it is not a dependency: put a throwaway install on ``PYTHONPATH``)
its round-trip loader, which also keeps positions, is timed on the same files.

The DBSherlock part ranks the ten DBSherlock causes with equal certainty, so the
order comes from the graph alone (coverage and missing symptoms) over crude
signals computed here (median shift over MAD): it measures the graph's content,
not the rules.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_graph import KnowledgeGraph, graph_files, load_graph
from models import Fact
from sources.importers import DBSHERLOCK_CAUSE_IDS
from sources.yamlfile import read_yaml

ROOT = Path(__file__).resolve().parents[1]

DATASET = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "dbsherlock-tpcc16w"
# The importer's label table is the one mapping from DBSherlock's names to graph cause ids.
DBSHERLOCK = list(DBSHERLOCK_CAUSE_IDS.values())
LABELS = {label.lower(): cause for label, cause in DBSHERLOCK_CAUSE_IDS.items()}


def _timeit(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile in microseconds."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def _cold_load_ms() -> tuple[float, float]:
    """Import and first load in a fresh interpreter, as ``sleuth`` pays them."""
    code = (
        "import time; t0 = time.perf_counter(); import knowledge_graph; t1 = time.perf_counter();"
        "knowledge_graph.load_default_graph(); t2 = time.perf_counter();"
        "print((t1 - t0) * 1000, (t2 - t1) * 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    imp, load = out.stdout.split()
    return float(imp), float(load)


def _read_case(path: Path) -> tuple[list[str], Any]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], np.array([[float(v) for v in row] for row in rows[1:]])


def case_signals(kg: KnowledgeGraph, header: list[str], data: Any, window: tuple[int, int]) -> list[Fact]:
    """Crude signals: canonical metric columns combined by their aggregate, median shift over MAD."""
    columns: dict[str, list[Any]] = {}
    for i, name in enumerate(header):
        alias = kg.resolve_alias(name)
        if alias is not None:
            columns.setdefault(alias.metric, []).append(data[:, i] * alias.scale)
    inside = np.zeros(len(data), dtype=bool)
    inside[window[0] : window[1] + 1] = True
    facts = []
    for metric, cols in sorted(columns.items()):
        how = kg.metric_info(metric).aggregate
        series = (
            np.mean(cols, axis=0)
            if how == "mean"
            else np.sum(cols, axis=0)
            if how == "sum"
            else np.max(cols, axis=0)
        )
        base, anom = series[~inside], series[inside]
        med = float(np.median(base))
        mad = float(np.median(np.abs(base - med))) * 1.4826
        delta = float(np.median(anom)) - med
        scale = max(mad, abs(med) * 0.05, 1e-9)
        z = delta / scale
        direction = "up" if z > 2 else "down" if z < -2 else "none"
        facts.append(
            Fact(
                kind="signal", name=metric, attrs={"direction": direction, "confidence": min(1.0, abs(z) / 6)}
            )
        )
    return facts


def dbsherlock_accuracy(kg: KnowledgeGraph, dataset: Path) -> dict[str, Any]:
    manifest = json.loads((dataset / "manifest.json").read_text())
    top1 = top3 = 0
    confusion: dict[str, dict[str, int]] = {}
    rank_ms: list[float] = []
    for case in manifest:
        truth = LABELS[case["causes"][0].lower()]
        header, data = _read_case(dataset / case["file"])
        facts = case_signals(kg, header, data, tuple(case["abnormal_rows"]))
        start = time.perf_counter()
        ranked = kg.rank(dict.fromkeys(DBSHERLOCK, 0.5), facts)
        rank_ms.append((time.perf_counter() - start) * 1000)
        order = [r.cause for r in ranked]
        top1 += order[0] == truth
        top3 += truth in order[:3]
        confusion.setdefault(truth, {}).setdefault(order[0], 0)
        confusion[truth][order[0]] += 1
    n = len(manifest)
    return {
        "cases": n,
        "top1": top1 / n,
        "top3": top3 / n,
        "confusion": confusion,
        "rank_ms": statistics.median(rank_ms),
    }


def _hostile_files(directory: Path) -> list[tuple[str, Path]]:
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (directory / "laughs.yaml").write_text("\n".join(laughs) + "\n")
    (directory / "deep.yaml").write_text("a: " + "[" * 20000 + "]" * 20000 + "\n")
    (directory / "block.yaml").write_text("".join(" " * i + "a:\n" for i in range(1000)))
    os.mkfifo(directory / "fifo.yaml")
    return [
        ("billion laughs (10 lines, 10^9 nodes through aliases)", directory / "laughs.yaml"),
        ("20,000 nested flow sequences", directory / "deep.yaml"),
        ("1,000 nested block mappings", directory / "block.yaml"),
        ("a FIFO with no writer", directory / "fifo.yaml"),
    ]


def _cpu_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best and median CPU time in milliseconds: the best is what the code costs on a shared machine."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return min(samples), statistics.median(samples)


def yaml_reading(repeat: int) -> None:
    """Reading every shipped authoring file: the shared reader against PyYAML and ruamel.yaml."""
    import tempfile

    import yaml

    graph = graph_files()
    packs = sorted((ROOT / "rules" / "packs").glob("*.yaml"))
    texts = {f: f.read_text(encoding="utf-8") for f in [*graph, *packs]}

    def pure_python_twice(files: list[Path]) -> None:
        for f in files:  # positions from a composed node tree, data from a second parse
            yaml.compose(texts[f], Loader=yaml.SafeLoader)
            yaml.safe_load(texts[f])

    readers: list[tuple[str, Callable[[list[Path]], object]]] = [
        (
            "`sources.yamlfile.read_yaml`: data, every position, duplicate keys",
            lambda fs: [read_yaml(f) for f in fs],
        ),
        (
            "PyYAML libyaml `safe_load`: data only",
            lambda fs: [yaml.load(texts[f], Loader=yaml.CSafeLoader) for f in fs],
        ),
        ("PyYAML pure Python: `compose` for positions, then `safe_load`", pure_python_twice),
    ]
    try:
        from ruamel.yaml import YAML  # type: ignore[import-not-found]
    except ImportError:
        ruamel = "not importable: not measured"
    else:
        import ruamel.yaml

        ruamel = ruamel.yaml.__version__

        def round_trip(files: list[Path]) -> None:
            loader = YAML(typ="rt")
            for f in files:
                loader.load(texts[f])

        readers.append((f"ruamel.yaml {ruamel} round-trip: data, positions (`.lc`)", round_trip))
    size = sum(len(t.encode()) for t in texts.values())
    print("## Reading authoring YAML\n")
    print(
        f"Measured with `.venv/bin/python -m bench.bench_kg --yaml --repeat {repeat}` (CPU time, best and"
        f" median of {repeat} runs; 1-minute load average {os.getloadavg()[0]:.1f} at the start): the"
        f" {len(graph)} graph files and {len(packs)} rule packs ({size / 1024:.0f} kB). ruamel.yaml: {ruamel}.\n"
    )
    print("| reader | graph files best | median | rule packs best | median |")
    print("|---|---:|---:|---:|---:|")
    for name, read in readers:
        g_best, g_med = _cpu_ms(lambda read=read: read(graph), repeat)
        p_best, p_med = _cpu_ms(lambda read=read: read(packs), repeat)
        print(f"| {name} | {g_best:.1f} ms | {g_med:.1f} ms | {p_best:.1f} ms | {p_med:.1f} ms |")
    print("\n| hostile file | refused in | problem |")
    print("|---|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in _hostile_files(Path(tmp)):
            start = time.perf_counter()
            doc = read_yaml(path)
            elapsed = (time.perf_counter() - start) * 1000
            problem = str(doc.problems[0]).replace(str(path), path.name) if doc.problems else "(accepted)"
            print(f"| {name} | {elapsed:.1f} ms | `{problem}` |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--yaml", action="store_true", help="time reading the authoring YAML instead")
    args = parser.parse_args(argv)
    if args.yaml:
        yaml_reading(args.repeat)
        return 0

    load_average = os.getloadavg()[0]
    imports_ms, first_load_ms = _cold_load_ms()
    load_med, load_p95 = _timeit(lambda: load_graph(), max(5, args.repeat // 100))
    kg = load_graph()

    header, data = _read_case(args.dataset / "cases" / "lock_contention-01.csv")
    manifest = {c["case"]: c for c in json.loads((args.dataset / "manifest.json").read_text())}
    facts = case_signals(kg, header, data, tuple(manifest["lock_contention-01"]["abnormal_rows"]))
    certainties = dict.fromkeys(DBSHERLOCK, 0.5)
    observed = kg.observed_symptoms(facts)
    five = ["lock_contention", "hot_rows", "idle_in_transaction", "long_running_transaction", "io_contention"]
    queries: list[tuple[str, Callable[[], object]]] = [
        ("resolve_metric (exact alias)", lambda: kg.resolve_metric("Innodb_row_lock_waits")),
        ("resolve_metric (glob alias)", lambda: kg.resolve_metric("cpu_usr (core #3)")),
        ("resolve_metric (unknown)", lambda: kg.resolve_metric("no_such_column")),
        ("metric_info", lambda: kg.metric_info("latency")),
        (f"observed_symptoms ({len(facts)} signals)", lambda: kg.observed_symptoms(facts)),
        (f"rank (10 causes, {len(facts)} signals)", lambda: kg.rank(certainties, facts)),
        (f"candidate_causes ({len(observed)} symptoms)", lambda: kg.candidate_causes(observed)),
        ("best_checks (5 candidates, k=3)", lambda: kg.best_checks(five, k=3)),
        ("remediations", lambda: kg.remediations("lock_contention")),
        ("neighbourhood_text (depth 1)", lambda: kg.neighbourhood_text("lock_contention")),
        ("neighbourhood_text (depth 2)", lambda: kg.neighbourhood_text("lock_contention", depth=2)),
    ]
    rows = [(name, *_timeit(fn, args.repeat)) for name, fn in queries]
    accuracy = dbsherlock_accuracy(kg, args.dataset)

    print("## Knowledge graph\n")
    print(
        f"Measured with `.venv/bin/python -m bench.bench_kg --repeat {args.repeat}` on this machine"
        f" ({os.cpu_count()} cores, 1-minute load average {load_average:.1f} at the start).\n"
    )
    print("| what | median | p95 |")
    print("|---|---:|---:|")
    print(f"| import `knowledge_graph` (fresh interpreter) | {imports_ms:.1f} ms | |")
    print(f"| first `load_default_graph()` (fresh interpreter) | {first_load_ms:.1f} ms | |")
    print(
        f"| `load_graph()` from YAML (warm interpreter) | {load_med / 1000:.1f} ms | {load_p95 / 1000:.1f} ms |"
    )
    for name, med, p95 in rows:
        print(f"| `{name}` | {med:.1f} µs | {p95:.1f} µs |")
    print(
        f"\nGraph-only ranking on the DBSherlock development split ({accuracy['cases']} cases; equal certainty"
        f" for the ten causes, crude median/MAD signals): top-1 {accuracy['top1']:.0%},"
        f" top-3 {accuracy['top3']:.0%}, median rank time {accuracy['rank_ms']:.2f} ms.\n"
    )
    print("| true cause | graph's first choice (count) |")
    print("|---|---|")
    for truth, picks in sorted(accuracy["confusion"].items()):
        text = ", ".join(
            f"{cause} ({n})" for cause, n in sorted(picks.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        print(f"| {truth} | {text} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
