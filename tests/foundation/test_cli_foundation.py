"""``sleuth validate``/``import``/``schema`` as a user runs them: exit codes and one line per bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.render.zones import CET, local_zone
from tui.cli import main


def _good() -> dict[str, object]:
    return {
        "id": "inc-1",
        "instance": {"engine": "postgres"},
        "metrics": [{"name": "CPUUtilization", "timestamps": [1, 2, 3], "values": [1, None, 3]}],
    }


BAD: dict[str, tuple[str, str]] = {
    "malformed.json": (
        '{"id": "x",',
        "line 1 column 12: invalid JSON: Expecting property name enclosed in double quotes",
    ),
    "empty.json": ("", "empty file"),
    "wrongtype.json": (json.dumps({**_good(), "metrics": "lots"}), "metrics: Input should be a valid list"),
    "missing.json": (json.dumps({"id": "x"}), "instance: Field required"),
    "unsorted.json": (
        json.dumps({**_good(), "metrics": [{"name": "a", "timestamps": [2, 1], "values": [1, 2]}]}),
        "metrics.0.timestamps: unsorted timestamp at index 1 (1.0 after 2.0)",
    ),
    "unequal.json": (
        json.dumps({**_good(), "metrics": [{"name": "a", "timestamps": [1, 2], "values": [1]}]}),
        "metrics.0: series 'a' has 2 timestamps but 1 values",
    ),
    "nan.json": (
        '{"id": "x", "instance": {"engine": "mysql"}, "metrics": [{"name": "a", "timestamps": [1], "values": [NaN]}]}',
        "metrics.0.values: value at index 0 is nan; use null for a missing sample",
    ),
    "engine.json": (
        json.dumps({"id": "x", "instance": {"engine": "db2"}}),
        "instance.engine: Input should be 'mysql', 'mariadb' or 'postgres' (got 'db2')",
    ),
    "list.json": ("[1, 2]", "(top level): expected a JSON object, got list"),
}


def test_validate_reports_each_bad_file_on_one_line_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.json").write_text(json.dumps(_good()))
    for name, (text, _) in BAD.items():
        (tmp_path / name).write_text(text)
    code = main(["validate", str(tmp_path)])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    for name, (_, message) in BAD.items():
        assert f"{tmp_path / name}: {message}" in err
    assert err[-1] == f"1 valid, {len(BAD)} invalid"
    assert not any("Traceback" in line for line in err)


def test_validate_all_good_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.json").write_text(json.dumps(_good()))
    assert main(["validate", str(tmp_path / "good.json")]) == 0
    assert capsys.readouterr().err.strip() == "1 valid, 0 invalid"


def test_oversized_file_is_refused_with_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLEUTH_MAX_FILE_MB", "1")
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(2 * 1024 * 1024)
    assert main(["validate", str(big)]) == 1
    assert (
        f"{big}: file is 2.0 MB, over the 1 MB limit (raise it with SLEUTH_MAX_FILE_MB)"
        in capsys.readouterr().err
    )


def test_import_dbsherlock_writes_seventy_valid_files(
    tmp_path: Path, dbsherlock_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["import", "dbsherlock", str(dbsherlock_dir), "--out", str(out)]) == 0
    assert len(list(out.glob("*.json"))) == 70
    assert main(["validate", str(out)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "70 valid, 0 invalid"


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "incident"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Incident"


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_import_bad_window_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "p.json"
    f.write_text("{}")
    assert main(["import", "prometheus", str(f), "--window", "abc"]) == 2
    assert "--window 'abc': expected START:END" in capsys.readouterr().err


def test_summary_of_examples(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "incidents"
    with local_zone(CET):
        assert (
            main(["summary", str(root / "rds-pg-missing-index.json"), str(root / "db_backup-01.json")]) == 0
        )
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0]
        == "rds-pg-missing-index: orders-db: CPU and reads climb after a release adds a filter on an unindexed column"
    )
    # unix clocks in local wall time; DBSherlock's clock counts from the start of the capture
    assert out[1] == (
        "  postgres 15.4, 12 metrics x 90 samples, window 2025-11-23 13:20:50 – 13:25:40 CET (290 s)"
    )
    assert out[4:6] == [
        "db_backup-01: DBSherlock TPC-C case db_backup-01",
        "  mysql 5.6, 93 metrics x 131 samples, window +36 s – +104 s (68 s)",
    ]


def test_summary_of_a_far_future_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Year 33,714 is past what ``datetime`` holds: shown as seconds, not a crash."""
    series = {"name": "CPUUtilization", "timestamps": [1e12 - 60, 1e12, 1e12 + 60], "values": [1, None, 3]}
    future = {**_good(), "metrics": [series], "window": {"start": 1e12, "end": 1e12 + 90}}
    (tmp_path / "future.json").write_text(json.dumps(future))
    assert main(["summary", str(tmp_path / "future.json")]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "  postgres, 1 metrics x 3 samples, window unix 1T s – unix 1T s (90 s)"
    )
