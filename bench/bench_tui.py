"""Time to first paint of ``sleuth tui PATH``, and to every incident diagnosed.

Each run is a fresh interpreter (cold imports, as a user starting the app),
building the app exactly as the ``tui`` command does and running it headless.
"first paint" is Textual's ``Ready`` event, posted right after the first frame
is written; "all diagnosed" is when no incident is pending or diagnosing.

Two entry paths are timed, because they differ by what the other commands import:

- ``cli``: ``tui.cli.build_parser("tui")`` as ``sleuth tui`` runs it (only the
  ``tui`` command's module is imported);
- ``app``: ``tui.cli.ui.build_app`` alone (the UI's own cost).

    .venv/bin/python -m bench.bench_tui [PATH] [--runs N] [--budget 1.0]

The first paint of ``sleuth tui`` must stay within ``--budget`` seconds (median):
the script exits 1 when it does not, so a change that drags the core onto the
path to the first frame is caught.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import argparse, asyncio
from pathlib import Path
path, via = sys.argv[1], sys.argv[2]
if via == "cli":
    from tui.cli import build_parser
    args = build_parser("tui").parse_args(["tui", path])
else:
    args = argparse.Namespace(path=path, config=None, rules=None)
from tui.cli.ui import build_app

app = build_app(args)
marks = {"imports_and_build_s": time.perf_counter() - t0}

async def measure(pilot):
    while app.first_paint is None:
        await asyncio.sleep(0.001)
    marks["run_to_paint_s"] = app.first_paint - t_run
    marks["first_paint_s"] = app.first_paint - t0
    while not app.state.statuses or any(
        s.status in ("pending", "diagnosing") for s in app.state.statuses.values()
    ):
        await asyncio.sleep(0.005)
    marks["all_diagnosed_s"] = time.perf_counter() - t0
    marks["incidents"] = len(app.state.statuses)
    app.exit()

t_run = time.perf_counter()
app.run(headless=True, size=(80, 24), auto_pilot=measure)
print(json.dumps(marks))
"""

KEYS = ("imports_and_build_s", "run_to_paint_s", "first_paint_s", "all_diagnosed_s", "process_s")


def run_once(path: str, via: str) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, path, via], capture_output=True, text=True, check=True)
    marks: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    marks["process_s"] = time.perf_counter() - started
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description="time to first paint of sleuth tui")
    parser.add_argument("path", nargs="?", default="examples/incidents")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=1.0, help="median first paint allowed, seconds")
    args = parser.parse_args()
    over = False
    for via in ("cli", "app"):
        runs = [run_once(args.path, via) for _ in range(args.runs)]
        print(f"via {via}: {int(runs[0]['incidents'])} incidents, {args.runs} runs (seconds)")
        for key in KEYS:
            values = [r[key] for r in runs]
            low, mid, high = min(values), statistics.median(values), max(values)
            print(f"  {key:20} median {mid:.3f}  min {low:.3f}  max {high:.3f}")
        paint = statistics.median(r["first_paint_s"] for r in runs)
        if paint > args.budget:
            print(f"  first paint {paint:.3f} s is over the {args.budget:.1f} s budget")
            over = True
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
