"""Hostile inputs the tester found, each answered in one line naming the file and the place: deep
nesting, YAML bombs, importer overflows, windows with no samples, far-future timestamps, and the smaller
findings (FIFOs, empty folders, empty graphs, quoted bounds, numpy warnings, option errors)."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

from sources.yamlfile import MAX_NODES
from tests.fuzz.hostile import billion_laughs
from tui.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "incidents"
DEEP_JSON = "[" * 5000 + "]" * 5000
DEEP_MESSAGE = "line 1 column 65: arrays and objects nest deeper than 64 levels"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _incident(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((EXAMPLES / "cpu_saturation-01.json").read_text())
    doc.update(changes)
    return doc


# ---- 6. nesting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],
        ["summary"],
        ["explain"],
        ["diagnose", "--no-llm"],
        ["import", "prometheus"],
        ["import", "cloudwatch"],
    ],
)
def test_deeply_nested_json_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP_JSON)
    code, _, err = _run(capsys, *argv, str(deep))
    assert code == 1
    assert f"{deep}: {DEEP_MESSAGE}" in err.splitlines()


def test_a_deeply_nested_dbsherlock_manifest_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "manifest.json").write_text(DEEP_JSON)
    code, _, err = _run(capsys, "import", "dbsherlock", str(tmp_path), "--out", str(tmp_path / "out"))
    assert (code, err) == (1, f"{tmp_path / 'manifest.json'}: {DEEP_MESSAGE}\n")


def test_nesting_inside_a_field_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nested: Any = 1
    for _ in range(200):  # deep enough for pydantic's reader to give up, not for Python's
        nested = [nested]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(_incident(settings=nested)))
    code, _, err = _run(capsys, "validate", str(path))
    assert code == 1
    assert err.splitlines()[0] == (
        f"{path}: settings.0.0.0.0.0.…: arrays and objects nest deeper than 64 levels"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["rules", "lint"],
        ["rules", "test"],
        ["diagnose", "--no-llm", str(EXAMPLES / "db_backup-01.json"), "--rules"],
    ],
)
@pytest.mark.parametrize(
    "text", ["rules: " + "[" * 3000 + "]" * 3000, "".join("  " * i + "- \n" for i in range(100))]
)
def test_deeply_nested_yaml_is_one_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], text: str
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    code, out, err = _run(capsys, *argv, str(path))
    lines = [line.removeprefix("sleuth: ") for line in (out + err).splitlines() if str(path) in line]
    assert code == (2 if argv[0] == "diagnose" else 1)
    [line] = lines
    assert line.startswith(f"{path}:1:") or line.startswith(f"{path}:65:")
    assert "nesting" in line


# ---- 7. YAML bombs -----------------------------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "argv",
    [
        ["rules", "lint"],
        ["rules", "test"],
        ["diagnose", "--no-llm", str(EXAMPLES / "db_backup-01.json"), "--rules"],
        ["kg", "check", "--graph"],
        ["kg", "stats", "--graph"],
    ],
)
def test_alias_bombs_are_refused_where_they_expand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs(9, 9))
    code, out, err = _run(capsys, *argv, str(bomb))
    assert code == (2 if argv[0] == "diagnose" else 1)
    lines = [line.removeprefix("sleuth: ") for line in (out + err).splitlines() if str(bomb) in line]
    assert lines == [
        f"{bomb}:6:15 -: the document expands to more than {MAX_NODES} nodes (aliases count in full)"
    ]


# ---- 8. importer overflows -------------------------------------------------------------------------------

_BIG = "1" + "0" * 400


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [(_BIG, "1" + "0" * 58 + "…"), ('"inf"', "'inf'"), ('"nan"', "'nan'"), ("1e400", "inf")],
)
def test_prometheus_timestamps_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stamp: str, shown: str
) -> None:
    path = tmp_path / "p.json"
    values = f'[[{stamp}, "1"], [2, "3"]]'
    path.write_text(
        '{"status": "success", "data": {"resultType": "matrix", "result": '
        f'[{{"metric": {{"__name__": "pg_up"}}, "values": {values}}}]}}}}'
    )
    code, _, err = _run(capsys, "import", "prometheus", str(path), "--engine", "postgres")
    assert (code, err) == (
        1,
        f"{path}: data.result.0.values.0.0: the timestamp is not a finite number: {shown}\n",
    )


@pytest.mark.parametrize(
    ("stamp", "value", "message"),
    [
        (_BIG, "1", "Timestamps.0: the timestamp is not a finite number: " + "1" + "0" * 58 + "…"),
        ('"2024-01-01T00:01:00Z"', _BIG, "Values.0: out of the range of a number: " + "1" + "0" * 58 + "…"),
        ('"99999-01-01T00:00:00Z"', "1", "Timestamps.0: not an ISO 8601 timestamp: '99999-01-01T00:00:00Z'"),
    ],
)
def test_cloudwatch_numbers_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stamp: str, value: str, message: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        '{"MetricDataResults": [{"Id": "cpu", "Label": "CPUUtilization", '
        f'"Timestamps": [{stamp}, "2024-01-01T00:00:00Z"], "Values": [{value}, 2]}}]}}'
    )
    code, _, err = _run(capsys, "import", "cloudwatch", str(path), "--engine", "postgres")
    assert (code, err) == (1, f"{path}: MetricDataResults.0.{message}\n")


# ---- 9. nothing a diagnosis can compare -------------------------------------------------------------------


def _only_before(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "metrics": [{**m, "timestamps": [1.0], "values": [1.0]} for m in doc["metrics"][:3]]}


CANNOT_DIAGNOSE = {
    "window-after-the-data": (
        _incident(window={"start": 1000.0, "end": 2000.0}),
        "window: holds no sample (the series' samples run from 1 to 131)",
    ),
    "window-between-two-samples": (
        _incident(window={"start": 10.2, "end": 10.8}),
        "window: holds no sample (the series' samples run from 1 to 131)",
    ),
    "one-sample-before-the-window": (
        _only_before(_incident()),
        "window: holds no sample (the series' samples run from 1 to 1)",
    ),
    "window-over-everything": (
        _incident(window={"start": 0.0, "end": 1e6}),
        "window: covers every sample, which leaves no baseline to compare it with",
    ),
    "no-metrics": (
        _incident(metrics=[]),
        "metrics: no samples (the file has no metric series); a diagnosis compares metric series",
    ),
    "only-nulls": (
        _incident(metrics=[{"name": "cpu", "timestamps": [1, 2], "values": [None, None]}]),
        "metrics: no samples (every series is empty or null); a diagnosis compares metric series",
    ),
}


@pytest.mark.parametrize("case", sorted(CANNOT_DIAGNOSE))
@pytest.mark.parametrize("command", [["validate"], ["diagnose", "--no-llm"], ["explain"], ["summary"]])
def test_what_diagnosis_cannot_use_does_not_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, command: list[str]
) -> None:
    doc, message = CANNOT_DIAGNOSE[case]
    path = tmp_path / f"{case}.json"
    path.write_text(json.dumps(doc))
    code, out, err = _run(capsys, *command, str(path))
    assert code == 1
    assert err.splitlines()[0] == f"{path}: {message}"
    assert "inconclusive" not in out


# ---- 10. far-future timestamps ----------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [1e12, 1e15, 1e17, 1e300])
@pytest.mark.parametrize(
    "command",
    [
        ["summary"],
        ["explain"],
        ["explain", "--format", "markdown"],
        ["diagnose", "--no-llm", "--format", "markdown"],
    ],
)
def test_far_future_timestamps_are_shown_not_crashed_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shift: float, command: list[str]
) -> None:
    doc = _incident(id="future")
    step = max(1.0, shift * 1e-15)  # consecutive floats that far out are this far apart
    doc["timestamps"] = [shift + t * step for t in doc["timestamps"]]  # the capture's shared clock
    doc["window"] = {"start": shift + 28 * step, "end": shift + 57 * step}
    path = tmp_path / "future.json"
    path.write_text(json.dumps(doc))
    code, out, err = _run(capsys, *command, str(path))
    assert (code, err) == (0, "")
    assert "future" in out


# ---- smaller findings --------------------------------------------------------------------------------------


def test_a_fifo_is_refused_as_what_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "x.json"
    os.mkfifo(fifo)
    assert _run(capsys, "validate", str(fifo))[2].splitlines()[0] == (
        f"{fifo}: not a regular file (a FIFO, socket or device)"
    )
    yaml_fifo = tmp_path / "x.yaml"
    os.mkfifo(yaml_fifo)
    code, out, _ = _run(capsys, "rules", "lint", str(yaml_fifo))
    assert (code, out) == (
        1,
        f"{yaml_fifo}:1:1 -: cannot read: not a regular file (a FIFO, socket or device)\n",
    )


def test_folder_scans_report_fifos_and_dangling_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(EXAMPLES / "db_backup-01.json", tmp_path / "a.json")
    os.mkfifo(tmp_path / "b.json")
    (tmp_path / "c.json").symlink_to(tmp_path / "gone.json")
    code, _, err = _run(capsys, "validate", str(tmp_path))
    assert code == 1
    assert err.splitlines() == [
        f"{tmp_path / 'b.json'}: not a regular file (a FIFO, socket or device)",
        f"{tmp_path / 'c.json'}: dangling symbolic link (its target does not exist)",
        "1 valid, 2 invalid",
    ]


def test_summary_of_a_folder_without_incidents_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "summary", str(tmp_path)) == (1, "", "no incident files found\n")


def test_an_empty_graph_file_is_not_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert _run(capsys, "kg", "check", "--graph", str(empty)) == (
        1,
        "",
        "sleuth kg: the graph has no nodes\n",
    )


def test_a_quoted_rule_bound_is_refused_not_converted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "pack: p\nrules:\n  - id: r\n    title: t\n    when:\n      all:\n"
        '        - {signal: cpu_user, direction: up, ratio: {gte: "3"}}\n'
        "    then: {cause: cpu_saturation}\n    certainty: 0.9\n"
    )
    code, out, _ = _run(capsys, "rules", "lint", str(pack))
    assert (code, out) == (
        1,
        f"{pack}:7:58 r: when.all[0].ratio.gte: '3' is text, not a number (drop the quotes)\n",
    )


def test_huge_values_leak_no_numpy_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _incident()
    doc["metrics"] = [{**m, "values": [(v or 0) * 1e300 for v in m["values"]]} for m in doc["metrics"]]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for flags in ([], ["--infer-window"]):
            assert _run(capsys, "diagnose", "--no-llm", *flags, str(path))[0::2] == (0, "")


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("5:1", "window start 5.0 is after its end 1.0"),
        ("nan:1", "window bounds must be finite"),
        ("a:b", "START and END must be numbers of seconds"),
        ("12", "expected START:END"),
    ],
)
def test_a_bad_window_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], window: str, message: str
) -> None:
    path = tmp_path / "p.json"
    path.write_text("{}")
    assert _run(capsys, "import", "prometheus", str(path), "--window", window) == (
        2,
        "",
        f"sleuth import: --window {window!r}: {message}\n",
    )


def test_an_unknown_label_is_refused_with_the_closest_causes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.json"
    path.write_text("{}")
    code, out, err = _run(capsys, "import", "prometheus", str(path), "--label", "cpu_saturaton")
    assert (code, out) == (2, "")
    assert err.startswith("sleuth: --label 'cpu_saturaton': not a cause of the knowledge graph")
    assert err.endswith("did you mean cpu_saturation, io_saturation?\n")


def test_a_negative_duration_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["collect", "--duration", "-5s", "--out", "x.json"])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "sleuth collect: error: argument --duration: must not be negative: '-5s'"
    )
