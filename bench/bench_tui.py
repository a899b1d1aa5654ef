"""Time to first paint of ``sleuth tui PATH``, and to every incident diagnosed.

Each run is a fresh interpreter (cold imports, as a user starting the app),
building the app exactly as the ``tui`` command does and running it headless.
"first paint" is Textual's ``Ready`` event, posted right after the first frame
is written; "all diagnosed" is when no incident is pending or diagnosing.

    .venv/bin/python bench/bench_tui.py [PATH] [--runs N]
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
import asyncio
from tui.cli import build_parser
from tui.commands.app_cli import build_app

app = build_app(build_parser().parse_args(["tui", sys.argv[1]]))
marks = {}

async def measure(pilot):
    while app.first_paint is None:
        await asyncio.sleep(0.001)
    marks["first_paint_s"] = app.first_paint - t0
    while not app.state.statuses or any(
        s.status in ("pending", "diagnosing") for s in app.state.statuses.values()
    ):
        await asyncio.sleep(0.005)
    marks["all_diagnosed_s"] = time.perf_counter() - t0
    marks["incidents"] = len(app.state.statuses)
    app.exit()

app.run(headless=True, size=(120, 36), auto_pilot=measure)
print(json.dumps(marks))
"""


def run_once(path: str) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True, check=True)
    marks: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    marks["process_s"] = time.perf_counter() - started
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="examples/incidents")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [run_once(args.path) for _ in range(args.runs)]
    for key in ("first_paint_s", "all_diagnosed_s", "process_s"):
        values = [r[key] for r in runs]
        print(
            f"{key:16} median {statistics.median(values):.3f}  min {min(values):.3f}  max {max(values):.3f}"
            f"  (n={len(values)}, {int(runs[0]['incidents'])} incidents)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
