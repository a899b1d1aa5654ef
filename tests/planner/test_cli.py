"""The planner's flags on ``sleuth diagnose`` / ``eval``, with the scripted backend (no model, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.trace import read_jsonl
from tui.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
CASE = str(EXAMPLES / "cpu_saturation-01.json")


@pytest.fixture
def scripted_config(tmp_path: Path) -> Path:
    """A backend with no answers: every model call fails, so the planner must fall back to the graph."""
    path = tmp_path / "config.toml"
    path.write_text('[planner]\nbackend = "scripted"\n')
    return path


def test_diagnose_falls_back_and_writes_the_trace(
    tmp_path: Path, scripted_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.jsonl"
    code = main(
        [
            "diagnose",
            CASE,
            "--rules",
            "none",
            "--config",
            str(scripted_config),
            "--trace",
            str(trace),
            "--format",
            "json",
        ]
    )
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["path"] == "inconclusive"  # every model call failed and no rule can conclude
    events = read_jsonl(trace)
    assert events[0].output == {"incident": "cpu_saturation-01", "path": record["path"]}
    assert events[1].output == {"mode": "auto", "reason": "the rules concluded no cause"}
    plan = next(e.output for e in events if (e.kind, e.name) == ("note", "plan"))
    assert plan["source"] == "graph"
    assert [e.name for e in events if e.kind == "model"] == ["plan:choose", "reflect:choose"]
    assert all(not e.ok for e in events if e.kind == "model")
    assert len([e for e in events if e.kind == "tool"]) == len(plan["plan"]["steps"])


def test_no_llm_keeps_the_rules_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "trace.jsonl"
    assert (
        main(["diagnose", CASE, "--rules", "none", "--no-llm", "--trace", str(trace), "--format", "json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["path"] == "inconclusive"
    assert [e.name for e in read_jsonl(trace)] == ["incident"]


def test_contradictory_flags_and_bad_config_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", CASE, "--no-llm", "--llm", "always"]) == 2
    assert capsys.readouterr().err == "sleuth: --no-llm contradicts --llm always\n"
    bad = tmp_path / "bad.toml"
    bad.write_text("[planner]\nthreads = 0\n")
    assert main(["diagnose", CASE, "--config", str(bad)]) == 2
    assert (
        capsys.readouterr().err
        == f"sleuth: {bad}: planner.threads: Input should be greater than or equal to 1\n"
    )


def test_eval_json_reports_planner_metrics(scripted_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "eval",
            CASE,
            str(EXAMPLES / "lock_contention-01.json"),
            "--rules",
            "none",
            "--config",
            str(scripted_config),
            "--format",
            "json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cases"] == 2
    assert set(report["planner"]) == {"top1", "top3", "tool_selection", "cases"}
    assert report["planner"]["cases"] == 2
