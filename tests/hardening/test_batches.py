"""Batches that never stop at the first bad file, and diagnose's stream: stable order, Ctrl-C keeps what
finished, a bad ``--trace`` found before any work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sleuth import Sleuth
from tui.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
DEEP = "[" * 5000 + "]" * 5000


def _good_batch(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    names = ["cpu_saturation-01", "db_backup-01", "lock_contention-01", "network_congestion-03"]
    for name in names:
        shutil.copy(EXAMPLES / f"{name}.json", folder / f"{name}.json")
    return [folder / f"{n}.json" for n in names]


@pytest.mark.parametrize("command", ["validate", "summary"])
def test_validate_and_summary_go_past_deeply_nested_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (tmp_path / "a-deep.json").write_text(DEEP)
    shutil.copy(EXAMPLES / "db_backup-01.json", tmp_path / "b.json")
    assert main([command, str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert (
        f"{tmp_path / 'a-deep.json'}: line 1 column 65: arrays and objects nest deeper than 64 levels" in err
    )
    assert "Traceback" not in err
    if command == "summary":
        assert out.startswith("db_backup-01: ")
    else:
        assert err.splitlines()[-1] == "1 valid, 1 invalid"


def test_import_dbsherlock_goes_past_bad_bytes_long_fields_and_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    rows = "".join(f"{i},{10 + (5 <= i <= 9) * 50}\n" for i in range(1, 15))
    latin1 = ("Epoch,cpu\n" + rows + "15,caf\xe9\n").encode("latin-1")
    (cases / "latin1.csv").write_bytes(latin1)
    (cases / "long.csv").write_text("Epoch,cpu\n" + rows + '16,"' + "9" * 131_073 + '"\n')
    (cases / "folder.csv").mkdir()
    (cases / "good.csv").write_text("Epoch,cpu\n" + rows)
    manifest = [
        {"case": name, "causes": ["CPU Saturation"], "file": f"cases/{name}.csv", "abnormal_rows": [5, 9]}
        for name in ("latin1", "long", "folder", "good")
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    assert main(["import", "dbsherlock", str(tmp_path), "--out", str(out)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{cases / 'latin1.csv'}: line 16: not UTF-8 text (byte 0xe9 at offset {latin1.index(0xE9)})",
        f"{cases / 'long.csv'}: line 16: field larger than field limit (131072)",
        f"{cases / 'folder.csv'}: is a directory",
        f"wrote 1 incidents to {out}; 3 cases failed",
    ]
    assert [p.name for p in out.iterdir()] == ["good.json"]


def test_diagnose_markdown_goes_past_a_far_future_incident(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    incident = json.loads((EXAMPLES / "cpu_saturation-01.json").read_text())
    shift = 1e12  # the year 33,700, past what datetime holds
    incident["id"] = "far-future"
    incident["timestamps"] = [t + shift for t in incident["timestamps"]]  # the capture's shared clock
    incident["window"] = {k: v + shift for k, v in incident["window"].items()}
    (tmp_path / "a.json").write_text(json.dumps(incident))
    shutil.copy(EXAMPLES / "db_backup-01.json", tmp_path / "b.json")
    assert main(["diagnose", "--no-llm", "--format", "markdown", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "far-future" in out and "db_backup-01" in out
    assert err == ""


def test_results_stream_in_the_order_given_whatever_the_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _good_batch(tmp_path)
    order = [paths[2], paths[0], paths[3], paths[1]]
    for jobs in ("1", "2"):
        assert main(["diagnose", "--no-llm", "--format", "json", "--jobs", jobs, *map(str, order)]) == 0
        seen = [json.loads(line)["incident"] for line in capsys.readouterr().out.splitlines()]
        assert seen == [p.stem for p in order]


def test_help_says_the_order_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["diagnose", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "always in the order the files were given" in text
    assert "Ctrl-C keeps what finished and exits 130" in text


def test_an_interrupted_batch_keeps_what_finished_and_its_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _good_batch(tmp_path / "in")
    original = Sleuth.diagnose_file

    def interrupted_at_the_third(self: Sleuth, path: Path, options: object = None) -> object:
        if path == paths[2]:
            raise KeyboardInterrupt
        return original(self, path, options)  # type: ignore[arg-type]

    monkeypatch.setattr(Sleuth, "diagnose_file", interrupted_at_the_third)
    trace = tmp_path / "trace.jsonl"
    code = main(["diagnose", "--no-llm", "--format", "json", "--trace", str(trace), str(tmp_path / "in")])
    out, err = capsys.readouterr()
    assert code == 130
    assert [json.loads(line)["incident"] for line in out.splitlines()] == [paths[0].stem, paths[1].stem]
    assert err == "interrupted: 2 of 4 diagnosed, 0 failed\n"
    heads = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [h["output"]["incident"] for h in heads if h["name"] == "incident"] == [
        paths[0].stem,
        paths[1].stem,
    ]


def test_a_bad_trace_path_is_reported_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _good_batch(tmp_path)
    assert main(["diagnose", "--no-llm", str(tmp_path), "--trace", "/proc/trace.jsonl"]) == 2
    assert capsys.readouterr() == (
        "",
        "sleuth: --trace /proc/trace.jsonl: cannot write in /proc: no such file or directory\n",
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_stops_a_batch_keeping_every_finished_line(tmp_path: Path, jobs: str) -> None:
    """What a service manager sends: the lines already printed are whole, the count is said, exit 143."""
    import signal
    import subprocess
    import sys

    folder = tmp_path / "in"
    folder.mkdir()
    source = EXAMPLES / "cpu_saturation-01.json"
    for i in range(300):
        shutil.copy(source, folder / f"case-{i:03d}.json")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "diagnose",
            "--no-llm",
            "--format",
            "json",
            "--jobs",
            jobs,
            str(folder),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # the batch is under way
    proc.send_signal(signal.SIGTERM)
    rest = proc.stdout.read()  # through the same buffer as the first line (communicate() would skip it)
    err = proc.stderr.read()
    proc.wait(timeout=60)
    lines = [first, *rest.splitlines()]
    assert proc.returncode == 128 + signal.SIGTERM
    records = [json.loads(line) for line in lines if line.strip()]
    assert 1 <= len(records) < 300
    assert err.splitlines()[-1] == f"interrupted: {len(records)} of 300 diagnosed, 0 failed"
