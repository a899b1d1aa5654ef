"""Window inference benchmark: time and peak memory against the capture's length, and ruptures beside it.

Run: ``.venv/bin/python -m bench.bench_window [--metrics 94] [--sizes 2000,8000,32000,100000]``.
Prints a Markdown section for docs/BENCHMARKS.md.

Each measurement runs in a fresh process, so its peak resident set (``VmHWM``)
is that one search's, input matrix and imports included (the time excludes the imports): a capture of ``--metrics``
metrics with level noise and one anomaly over a fifth of the samples in a
third of the metrics, searched with the healthy test on (199 bootstrap draws).
``rules.window.search`` is timed for every size; ruptures' binary
segmentation (``Binseg``, least squares, two change points) on the same
matrix is timed for the sizes it finishes within ``--ruptures-limit`` seconds
(it is pure Python over the samples).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import json, sys, time
import numpy as np
metrics, size, what = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(7)
values = rng.uniform(10.0, 1000.0, (metrics, 1)) * (1.0 + 0.05 * rng.standard_normal((metrics, size)))
lo, hi = int(size * 0.55), int(size * 0.75)
values[: metrics // 3, lo:hi] *= 2.0
if what == "sleuth":
    from rules.window import search
else:
    import ruptures
started = time.perf_counter()
if what == "sleuth":
    found = search(values)
    answer = [list(found.best), found.test is not None and found.test.significant]
else:
    cut = ruptures.Binseg(model="l2", min_size=5, jump=1).fit(values.T).predict(n_bkps=2)
    answer = [cut[0], cut[1] - 1]
elapsed = time.perf_counter() - started
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(json.dumps({"s": elapsed, "mb": int(hwm) / 1024, "answer": answer, "truth": [lo, hi - 1]}))
"""


def measure(metrics: int, size: int, what: str, timeout: float) -> dict[str, object] | None:
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(metrics), str(size), what],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=root,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=94)
    parser.add_argument("--sizes", default="2000,8000,32000,100000")
    parser.add_argument("--ruptures-limit", type=float, default=60.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    ruptures_done = True
    for size in sizes:
        ours = measure(args.metrics, size, "sleuth", 600.0)
        theirs = measure(args.metrics, size, "ruptures", args.ruptures_limit) if ruptures_done else None
        ruptures_done = theirs is not None
        rows.append((size, ours, theirs))
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print("## Window inference\n")
    print(
        f"Measured with `.venv/bin/python -m bench.bench_window --metrics {args.metrics} --sizes {args.sizes}` "
        f"on this machine (2 cores, load average {load} at the end). One process per measurement; peak RSS "
        "includes the input matrix and the interpreter. The capture has one anomaly over 55-75 % of its "
        "samples in a third of its metrics; sleuth's search includes the healthy test (199 bootstrap "
        "draws). ruptures: `Binseg(model='l2', min_size=5)`, two change points.\n"
    )
    print("| samples | sleuth wall | sleuth peak RSS | found | ruptures Binseg wall | ruptures peak RSS |")
    print("|---:|---:|---:|---|---:|---:|")
    for size, ours, theirs in rows:
        assert ours is not None
        found = "exact" if ours["answer"] == [ours["truth"], True] else f"{ours['answer']} vs {ours['truth']}"
        rup = (
            (f"{theirs['s']:.2f} s", f"{theirs['mb']:.0f} MB")
            if theirs is not None
            else (f"> {args.ruptures_limit:.0f} s (stopped)", "-")
        )
        print(f"| {size:,} | {ours['s']:.3f} s | {ours['mb']:.0f} MB | {found} | {rup[0]} | {rup[1]} |")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"\n(benchmark ran {time.perf_counter() - started:.0f} s)")
    raise SystemExit(code)
