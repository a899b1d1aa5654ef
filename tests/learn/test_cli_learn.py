from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main


def cases(dev_cases: list[Path], *causes: str) -> list[str]:
    return [str(p) for p in dev_cases if p.stem.startswith(causes)]


def test_eval_learn_scores_each_part_alone(capsys: pytest.CaptureFixture[str], dev_cases: list[Path]) -> None:
    paths = cases(dev_cases, "cpu_saturation", "table_restore")
    code = main(["eval", *paths, "--learn", "rules,retrieval", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (out["cases"], sorted(k for k in out if k in ("rules", "retrieval", "planner"))) == (
        14,
        ["retrieval", "rules"],
    )
    assert out["rules"]["top1"] >= 0.9 and out["retrieval"]["top1"] == 1.0
    assert out["learn_s"] > 0


def test_eval_learn_planner_needs_the_model(
    capsys: pytest.CaptureFixture[str], dev_cases: list[Path]
) -> None:
    paths = cases(dev_cases, "cpu_saturation", "table_restore")
    assert main(["eval", *paths, "--learn", "planner", "--no-llm"]) == 0
    captured = capsys.readouterr()
    assert "planner part skipped: it needs the model (drop --no-llm)" in captured.err
    assert captured.out.startswith("leave-one-out over 14 incidents")


def test_eval_learn_rejects_unknown_parts(capsys: pytest.CaptureFixture[str], dev_cases: list[Path]) -> None:
    assert main(["eval", str(dev_cases[0]), "--learn", "rules,oracle"]) == 2
    assert capsys.readouterr().err == (
        "sleuth: --learn: unknown part oracle; choose from rules, retrieval, planner\n"
    )


def test_rules_learn_from_files_writes_a_pack_eval_can_score(
    capsys: pytest.CaptureFixture[str], dev_cases: list[Path], tmp_path: Path
) -> None:
    paths = cases(dev_cases, "lock_contention", "workload_spike")
    out = tmp_path / "two-causes.yaml"
    assert main(["rules", "learn", *paths, "--out", str(out)]) == 0
    assert capsys.readouterr().err.endswith(f"for 2 causes from 14 incidents -> {out}\n")
    assert main(["eval", *paths, "--rules", str(out), "--no-llm", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["top1"] == 1.0
