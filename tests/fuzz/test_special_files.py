"""Special files and sizes given to every command that reads a file: a FIFO (which must never block),
a directory, a dangling symbolic link, a device, an empty file and one over the size limit.

Each is refused in one line naming it, and the good file beside it is still read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fuzz.cli import check, is_clear, is_clear_yaml, lines_about, run
from tests.fuzz.hostile import to_json
from tests.fuzz.test_incident_files import GOOD

REPO = Path(__file__).resolve().parents[2]
INCIDENT = REPO / "examples" / "incidents" / "cpu_saturation-01.json"


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _oversized(path: Path) -> None:
    # over the 1 MB incident limit the suite sets, and over the 2 MiB limit of authoring files
    path.write_bytes(b"[" + b"0," * 1_200_000 + b"0]")


SPECIAL: dict[str, Callable[[Path], None]] = {
    "fifo": _fifo,
    "directory": _directory,
    "dangling-link": _dangling,
    "device": _device,
    "empty": _empty,
    "oversized": _oversized,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("command", ["validate", "summary", "diagnose", "explain"])
def test_incident_commands(tmp_path: Path, kind: str, command: str) -> None:
    bad = tmp_path / "a-special.json"
    SPECIAL[kind](bad)
    good = tmp_path / "b-good.json"
    good.write_text(to_json(GOOD))
    argv = {
        "validate": ["validate", str(bad), str(good)],
        "summary": ["summary", str(bad), str(good)],
        "diagnose": ["diagnose", "--no-llm", str(bad), str(good)],
        "explain": ["explain", str(bad)],
    }[command]
    result = run(argv)
    if kind == "directory" and command != "explain":  # a folder among the paths is scanned for *.json
        check(command, result, {0}, not lines_about(result, bad))
    else:
        [line] = lines_about(result, bad)
        check(command, result, {1}, is_clear(line, bad))
    if command == "validate":
        assert result.err_lines[-1] == ("1 valid, 0 invalid" if kind == "directory" else "1 valid, 1 invalid")
    elif command != "explain":
        assert "good-1" in result.out  # the batch went on


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_folder_scans_name_what_they_cannot_read(tmp_path: Path, kind: str) -> None:
    """A FIFO or a dangling link inside a scanned folder is reported, not silently skipped."""
    if kind == "directory":
        return  # a folder inside a folder is scanned, not reported
    SPECIAL[kind](tmp_path / "a-special.json")
    (tmp_path / "b-good.json").write_text(to_json(GOOD))
    result = run(["validate", str(tmp_path)])
    [line] = lines_about(result, tmp_path / "a-special.json")
    check("validate", result, {1}, is_clear(line, tmp_path / "a-special.json"))
    assert result.err_lines[-1] == "1 valid, 1 invalid"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("importer", ["prometheus", "cloudwatch"])
def test_metric_importers(tmp_path: Path, kind: str, importer: str) -> None:
    bad = tmp_path / "export.json"
    SPECIAL[kind](bad)
    result = run(["import", importer, str(bad), "--engine", "postgres"])
    [line] = lines_about(result, bad)
    check(f"import {importer}", result, {1}, is_clear(line, bad))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("part", ["manifest", "case"])
def test_dbsherlock(tmp_path: Path, kind: str, part: str) -> None:
    (tmp_path / "cases").mkdir()
    manifest = tmp_path / "manifest.json"
    case = tmp_path / "cases" / "a.csv"
    (tmp_path / "cases" / "b.csv").write_text("Epoch,cpu\n" + "".join(f"{i},{i % 4}\n" for i in range(1, 15)))
    cases = [
        {"case": name, "causes": ["CPU Saturation"], "file": f"cases/{name}.csv", "abnormal_rows": [5, 9]}
        for name in ("a", "b")
    ]
    if part == "manifest":
        SPECIAL[kind](manifest)
        case.write_text("Epoch,cpu\n1,1\n")
    else:
        manifest.write_text(to_json(cases))
        SPECIAL[kind](case)
    result = run(["import", "dbsherlock", str(tmp_path), "--out", str(tmp_path / "out")])
    bad = manifest if part == "manifest" else case
    [line] = lines_about(result, bad)
    check("import dbsherlock", result, {1}, is_clear(line, bad))
    if part == "case":
        assert (tmp_path / "out" / "b.json").is_file()  # the batch went on


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("command", ["rules lint", "rules test", "diagnose --rules", "kg check --graph"])
def test_authoring_commands(tmp_path: Path, kind: str, command: str) -> None:
    bad = tmp_path / "a.yaml"
    SPECIAL[kind](bad)
    if kind == "oversized":
        bad.write_bytes(b"a: " + b"x" * (3 * 1024 * 1024))
    argv = {
        "rules lint": ["rules", "lint", str(bad)],
        "rules test": ["rules", "test", str(bad)],
        "diagnose --rules": ["diagnose", "--no-llm", "--rules", str(bad), str(INCIDENT)],
        "kg check --graph": ["kg", "check", "--graph", str(bad)],
    }[command]
    result = run(argv)
    lines = [line for line in (result.out + result.err).splitlines() if str(bad) in line]
    codes = {2} if command == "diagnose --rules" else {1}
    if kind in (
        "directory",
        "empty",
    ):  # an empty folder or file: no rules, no graph, said in a line of its own
        check(command, result, codes | {1}, bool(result.err_lines))
        return
    check(command, result, codes, len(lines) == 1 and is_clear_yaml(lines[0], bad))
