"""The rules commands end to end: real knowledge graph, a controlled rule pack, synthetic incidents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rules.fakes import incident
from tests.rules.test_engine import CHAIN
from tui.cli import main

RULE_TEST = """
    tests:
      - {incident: cases/cpu.json, expect: [cpu_saturation], top: cpu_saturation}
      - {incident: cases/flat.json, expect: [cpu_saturation]}
"""


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """A rule pack with inline tests, a hot-CPU incident, a flat one and a broken file."""
    (tmp_path / "cases").mkdir()
    hot = incident({"cpu_user": 3.0, "latency": 2.5}, labels=["cpu_saturation"])
    (tmp_path / "cases" / "cpu.json").write_text(hot.model_dump_json())
    flat = incident({}, labels=["cpu_saturation"]).model_copy(update={"id": "flat-1"})
    (tmp_path / "cases" / "flat.json").write_text(flat.model_dump_json())
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "chain.yaml").write_text(
        CHAIN.replace("    certainty: 0.5\n", "    certainty: 0.5\n" + RULE_TEST)
    )
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_diagnose_json_lines_one_per_incident(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = str(workspace / "chain.yaml")
    code, out, err = run(
        capsys, "diagnose", str(workspace / "cases"), "--format", "json", "--no-llm", "--rules", rules
    )
    assert (code, err) == (0, "")
    first, second = (json.loads(line) for line in out.splitlines())
    assert list(first) == ["incident", "path", "causes", "elapsed_ms", "window_inferred"]
    assert (first["incident"], first["path"], first["window_inferred"]) == ("synthetic-1", "rules", False)
    assert [c["cause"] for c in first["causes"]] == ["cpu_saturation"]
    assert first["causes"][0]["rules"] == ["cpu_bound", "lat_and_threads", "cpu_hot"]
    assert [e["name"] for e in first["causes"][0]["evidence"]] == ["cpu_user", "latency"]
    assert (second["incident"], second["path"], second["causes"]) == ("flat-1", "inconclusive", [])


def test_one_bad_file_is_reported_and_the_rest_go_on(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = str(workspace / "chain.yaml")
    bad, good = str(workspace / "broken.json"), str(workspace / "cases" / "cpu.json")
    code, out, err = run(capsys, "diagnose", bad, good, "--format", "json", "--no-llm", "--rules", rules)
    assert code == 1
    assert err == f"{bad}: line 1 column 2: invalid JSON: Expecting property name enclosed in double quotes\n"
    assert [json.loads(line)["incident"] for line in out.splitlines()] == ["synthetic-1"]


def test_two_jobs_give_the_same_answers_in_the_same_order(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "diagnose",
        str(workspace / "cases"),
        "--format",
        "json",
        "--no-llm",
        "--rules",
        str(workspace / "chain.yaml"),
    ]
    _, one, _ = run(capsys, *args)
    code, two, err = run(capsys, *args, "--jobs", "2")
    assert (code, err) == (0, "")

    def strip(text: str) -> list[dict[str, object]]:
        return [
            {k: v for k, v in json.loads(line).items() if k != "elapsed_ms"} for line in text.splitlines()
        ]

    assert strip(one) == strip(two)


def test_usage_errors_exit_2_with_one_line(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = str(workspace / "chain.yaml")
    good = str(workspace / "cases" / "cpu.json")
    assert run(capsys, "diagnose", good, "--no-llm", "--rules", rules, "--disable-rule", "nope") == (
        2,
        "",
        "sleuth: --disable-rule: unknown rule id nope\n",
    )
    empty = workspace / "empty"
    empty.mkdir()
    assert run(capsys, "diagnose", str(empty), "--no-llm")[0::2] == (
        2,
        f"sleuth: no incident files found in {empty}\n",
    )
    (workspace / "bad.yaml").write_text(CHAIN.replace("score: {gte: 3}", "scor: {gte: 3}"))
    code, _, err = run(capsys, "diagnose", good, "--no-llm", "--rules", str(workspace / "bad.yaml"))
    assert (code, err) == (
        2,
        f"sleuth: {workspace}/bad.yaml:9:11 cpu_hot: unknown field 'scor' in when.all[0]\n",
    )
    with pytest.raises(SystemExit) as exited:
        main(["diagnose", good, "--jobs", "0"])
    assert exited.value.code == 2


def test_no_rules_means_inconclusive(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "diagnose",
        str(workspace / "cases" / "cpu.json"),
        "--format",
        "json",
        "--no-llm",
        "--rules",
        "none",
    )
    assert code == 0 and json.loads(out)["path"] == "inconclusive"


def test_rules_lint_and_test(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = workspace / "chain.yaml"
    code, out, err = run(capsys, "rules", "lint", str(pack))
    assert (code, out, err) == (0, "", "3 rules in 1 files, 0 problems\n")
    code, out, err = run(capsys, "rules", "test", str(pack))
    assert code == 1
    assert out == f"{pack}:40:9 lat_and_threads: ok\n"
    assert err == (
        f"{pack}:41:9 lat_and_threads: expected cpu_saturation, concluded nothing\n1 passed, 1 failed\n"
    )
    (workspace / "loop.yaml").write_text(
        CHAIN.replace("cause: cpu_saturation}\n    certainty: 0.8", "fact: cpu_hot}\n    certainty: 0.8")
    )
    code, out, _ = run(capsys, "rules", "lint", str(workspace / "loop.yaml"))
    assert (
        code == 1
        and out == f"{workspace}/loop.yaml:16:17 cpu_bound: derived facts form a cycle: cpu_hot -> cpu_hot\n"
    )


def test_rules_list_and_explain(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = str(workspace / "chain.yaml")
    code, out, _ = run(capsys, "rules", "list", "--rules", rules, "--format", "json")
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == [
        "cpu_hot",
        "cpu_bound",
        "lat_and_threads",
    ]
    code, out, _ = run(capsys, "explain", str(workspace / "cases" / "cpu.json"), "--rules", rules)
    head, *body = out.splitlines()
    assert code == 0 and head.startswith("synthetic-1: rules, window +100 s – +129 s (29 s), given, ")
    assert body[:9] == [
        "1. CPU saturation (cpu_saturation): certainty 0.85, score 0.72, graph coverage 80%, from rules",
        "  evidence:",
        "    signal cpu_user (level shift, up): 20% → 60% (×3, z 65.4, peak 62.4%)",
        "    signal latency (level shift, up): 40 ms → 100 ms (×2.5, z 50.6, peak 104 ms)",
        "  how:",
        "    rule cpu_hot [chain] on cpu_user ⇒ fact cpu_hot (premise 0.99 → 0.89)",
        "    rule cpu_bound [chain] on cpu_hot, latency ⇒ cause cpu_saturation (premise 0.89 → 0.71)",
        "    rule lat_and_threads [chain] on latency, cpu_user ⇒ cause cpu_saturation (premise 0.98 → 0.49)",
        "  remediation:",
    ]
    code, out, _ = run(
        capsys,
        "explain",
        str(workspace / "cases" / "flat.json"),
        "--rules",
        rules,
        "--why-not",
        "cpu_saturation",
    )
    assert code == 0
    assert out.splitlines() == [
        "why not cpu_saturation: cpu_saturation was not concluded; cpu_bound: fact cpu_hot present=false "
        "(needs is true); lat_and_threads: signal latency ratio=1 (needs > 1.5)",
        "  rule cpu_bound [chain] (failed, CF 0.80): CPU-bound workload",
        "    ✗ all fact cpu_hot: present=false (needs is true)",
        "      rule cpu_hot [chain] (failed, CF 0.90): CPU is hot",
        "        ✗ all signal cpu_user: score=0 (needs ≥ 3)",
        "    ✗ all signal latency: ratio=1 (needs > 1.5)",
        "    ✓ none signal row_lock_waits: absent, as required (score=0 (needs > 3))",
        "  rule lat_and_threads [chain] (failed, CF 0.50): Latency with more threads running",
        "    ✗ all signal latency: ratio=1 (needs > 1.5)",
        "    ✗ any signal threads_running: score=0 (needs > 3)",
        "    ✗ any signal cpu_user: score=0 (needs > 3)",
    ]
    assert run(capsys, "explain", str(workspace / "cases" / "flat.json"), "--why-not", "no_such_cause")[
        0::2
    ] == (
        2,
        "sleuth: unknown cause 'no_such_cause': not a cause of the knowledge graph (see `sleuth kg stats`, `sleuth kg show CAUSE`)\n",
    )


def test_eval_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "eval",
        str(workspace / "cases"),
        "--no-llm",
        "--format",
        "json",
        "--rules",
        str(workspace / "chain.yaml"),
    )
    report = json.loads(out)
    assert code == 0
    assert (report["cases"], report["top1"], report["top3"], report["unexplained"]) == (2, 0.5, 0.5, 0.5)
    assert report["per_cause"]["cpu_saturation"] == {
        "precision": 1.0,
        "recall": 0.5,
        "support": 2,
        "predicted": 1,
    }
