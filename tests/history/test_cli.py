from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.history.support import CPU, LOCK, SPIKE, sqlite_url
from tui.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_diagnose_record_confirm_reject_and_list(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    code, _, _ = run(capsys, "diagnose", str(LOCK), str(CPU), "--no-llm", "--record", "--history", url)
    assert code == 0
    assert run(
        capsys, "confirm", str(LOCK), "lock_contention", "--note", "scan held locks", "--history", url
    )[1] == ("#1 dbsherlock_lock_contention: confirmed lock_contention\n")
    assert run(capsys, "reject", "#2", "io_saturation", "--history", url)[1] == (
        "#2 dbsherlock_cpu_saturation: rejected io_saturation\n"
    )
    code, out, _ = run(capsys, "history", "list", "--format", "json", "--history", url)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["confirmed"], r["rejected"], r["note"]) for r in rows] == [
        (2, [], ["io_saturation"], ""),
        (1, ["lock_contention"], [], "scan held locks"),
    ]
    code, out, _ = run(capsys, "history", "list", "--confirmed", "--history", url)
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["1"]
    assert "+lock_contention" in out


def test_a_confirmed_incident_shows_as_similar_in_every_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    run(capsys, "confirm", str(LOCK), "lock_contention", "--note", "scan held locks", "--history", url)
    code, out, _ = run(capsys, "diagnose", str(LOCK), "--no-llm", "--history", url)
    assert code == 0
    assert "like #1 dbsherlock_lock_contention (similarity 1.00, recorded" in out and "scan held locks" in out
    out = run(capsys, "diagnose", str(LOCK), "--no-llm", "--history", url, "--format", "json")[1]
    similar = json.loads(out)["similar"]
    assert [(s["record"], s["causes"], s["note"]) for s in similar] == [
        (1, ["lock_contention"], "scan held locks")
    ]
    out = run(capsys, "diagnose", str(LOCK), "--no-llm", "--history", url, "--format", "markdown")[1]
    assert "### Similar past incidents" in out


def test_an_unknown_cause_exits_2_with_close_matches(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "confirm", str(LOCK), "lock_contension", "--history", sqlite_url(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith("sleuth: unknown cause 'lock_contension': not a cause of the knowledge graph")
    assert err.rstrip().endswith("did you mean lock_contention, io_contention, cpu_contention?")


def test_show_and_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    run(capsys, "confirm", str(SPIKE), "workload_spike", "--history", url)
    code, out, _ = run(capsys, "history", "show", "1", "--history", url)
    assert code == 0
    assert out.startswith("#1 dbsherlock_workload_spike — DBSherlock TPC-C case")
    assert f"incident {SPIKE.resolve()} (sha256 " in out
    assert "confirmed workload_spike on " in out
    out_file = tmp_path / "export.jsonl"
    code, _, err = run(capsys, "history", "export", "--out", str(out_file), "--history", url)
    assert (code, err) == (0, "1 records\n")
    record = json.loads(out_file.read_text(encoding="utf-8"))
    assert (record["id"], record["path"], [v["cause"] for v in record["verdicts"]]) == (
        1,
        str(SPIKE.resolve()),
        ["workload_spike"],
    )
    assert record["signature"]
    assert run(capsys, "history", "show", "99", "--history", url)[0] == 2


def test_rules_learn_from_the_history_writes_a_pack_whose_tests_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    for case, cause in ((LOCK, "lock_contention"), (CPU, "cpu_saturation"), (SPIKE, "workload_spike")):
        run(capsys, "confirm", str(case), cause, "--history", url)
    pack = tmp_path / "packs" / "team.yaml"
    code, _, err = run(capsys, "rules", "learn", "--history", url, "--out", str(pack))
    assert code == 0, err
    assert err.endswith(f"from 3 incidents -> {pack}\n")
    data = yaml.safe_load(pack.read_text(encoding="utf-8"))
    assert data["pack"] == "team"
    assert {r["then"]["cause"] for r in data["rules"]} == {
        "lock_contention",
        "cpu_saturation",
        "workload_spike",
    }
    assert "3 confirmed incidents" in " ".join(data["description"].split())
    assert run(capsys, "rules", "lint", str(pack))[0] == 0
    assert run(capsys, "rules", "test", str(pack))[0] == 0


def test_rules_learn_needs_something_to_learn_from(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "rules", "learn", "--out", str(tmp_path / "x.yaml"))
    assert (code, err) == (2, "sleuth: give labelled incident files or --history\n")
