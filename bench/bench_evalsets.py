"""Accuracy on the evaluation sets: single causes, synthetic compounds over seeds, healthy slices, folds.

Run: ``.venv/bin/python -m bench.bench_evalsets [--cases /tmp/dbs] [--seeds 0,1,2,3,4]`` after
importing the DBSherlock dev cases. Prints a Markdown section for docs/BENCHMARKS.md.

Rules only (``--no-llm``), through the service as ``sleuth eval`` runs them:

- the dev cases with their labelled window and with the window inferred;
- the synthetic compounds of ``sleuth evalsets`` (labelled union window) for each seed, and the
  healthy slices (no window);
- leave-half-out: the dev cases split by the parity of their case number (within each cause),
  each half's own compounds and healthy slices scored apart, and the calibration map fitted on
  one half and scored (ECE) on the other, both ways: the rules were written once for all cases,
  so a half they fit better than the other would show here;
- expected calibration error over the single cases and every seed's compounds.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from models import Diagnosis, Incident
from rules import calibration
from rules.evaluation import EvalCase, EvalReport, evaluate_cases, expected_calibration_error
from sleuth import DiagnoseOptions, Sleuth
from sources.evalsets import EvalSetOptions


def diagnose(app: Sleuth, incidents: Sequence[Incident], infer: bool = False) -> list[Diagnosis]:
    options = DiagnoseOptions(llm="never", infer_window=infer)
    return [app.diagnose(incident, options) for incident in incidents]


def report(diagnoses: Sequence[Diagnosis]) -> EvalReport:
    return evaluate_cases(EvalCase.from_diagnosis(d) for d in diagnoses)


def row(name: str, r: EvalReport) -> str:
    multi = r.multi_cause
    healthy = r.healthy
    cells = [
        name,
        str(r.cases + (healthy.cases if healthy else 0)),
        f"{r.top1:.3f}" if r.cases else "-",
        f"{multi.all_in_top_k:.3f}" if multi else "-",
        f"{multi.both_in_top2:.3f}" if multi else "-",
        f"{r.extra_per_incident:.2f}" if r.cases else "-",
        f"{healthy.false_alarms} ({healthy.with_cause} with a cause)" if healthy else "-",
        f"{r.ece:.3f}",
    ]
    return "| " + " | ".join(cells) + " |"


def half(incident: Incident) -> int:
    number = re.search(r"(\d+)$", incident.id)
    return int(number.group(1)) % 2 if number else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=Path("/tmp/dbs"))
    parser.add_argument("--seeds", default="0,1,2,3,4")
    args = parser.parse_args()
    app = Sleuth()
    cases = [app.load_incident(p) for p in app.incident_files([args.cases])]
    seeds = [int(s) for s in args.seeds.split(",")]
    print("## Compound and healthy evaluation sets\n")
    print(
        f"Measured with `.venv/bin/python -m bench.bench_evalsets --cases {args.cases} --seeds {args.seeds}` "
        f"(rules only) on the {len(cases)} DBSherlock dev cases. Compounds: 60 pairs and 20 triples of "
        "cases of different causes per seed (`sleuth evalsets --seed N`), labelled union window; healthy: "
        "the normal stretches before and after each case's window, ten samples clear of it, no window.\n"
    )
    print(
        "| set | incidents | top-1 | all causes in top k | both in top 2 | extra causes / incident "
        "| healthy: not answered healthy | ECE |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    singles = diagnose(app, cases)
    print(row("dev cases, labelled window", report(singles)))
    print(row("dev cases, window inferred", report(diagnose(app, cases, infer=True))))
    every = list(singles)
    for seed in seeds:
        sets = app.make_eval_sets(cases, EvalSetOptions(seed=seed))
        compounds = diagnose(app, sets.compounds)
        every += compounds
        print(row(f"compounds, seed {seed}", report(compounds)))
        if seed == seeds[0]:
            print(row("healthy slices", report(diagnose(app, sets.healthy))))
    print(row("singles + every seed's compounds (calibration)", report(every)))
    print("\nLeave-half-out (dev cases split by case-number parity within each cause):\n")
    print(
        "| half | incidents | top-1 | all causes in top k | both in top 2 | extra causes / incident "
        "| healthy: not answered healthy | ECE |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    pairs: dict[int, list[EvalCase]] = {}
    for part in (0, 1):
        mine = [c for c in cases if half(c) == part]
        sets = app.make_eval_sets(mine, EvalSetOptions(seed=seeds[0], pairs=30, triples=10))
        dx = diagnose(app, mine) + diagnose(app, sets.compounds)
        print(row(f"{'even' if part == 0 else 'odd'} cases and their compounds", report(dx)))
        print(
            row(
                f"{'even' if part == 0 else 'odd'} cases' healthy slices", report(diagnose(app, sets.healthy))
            )
        )
        pairs[part] = [EvalCase.from_diagnosis(d) for d in dx]
    for train, test in ((0, 1), (1, 0)):
        a, b = calibration.fit(
            (calibration.uncalibrated(c), cause in case.labels)
            for case in pairs[train]
            for cause, c in zip(case.ranked, case.certainties, strict=True)
        )
        refit = [
            EvalCase(
                case.labels,
                case.ranked,
                case.path,
                case.elapsed_ms,
                tuple(calibration.mapped(calibration.uncalibrated(c), a, b) for c in case.certainties),
            )
            for case in pairs[test]
        ]
        print(
            f"\nCalibration fitted on the {'even' if train == 0 else 'odd'} half (A {a:.2f}, B {b:.2f}): "
            f"ECE {expected_calibration_error(refit):.3f} on the other half "
            f"(shipped map: {expected_calibration_error(pairs[test]):.3f})."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
