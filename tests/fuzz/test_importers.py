"""Hostile input to every importer: DBSherlock directories, Prometheus and CloudWatch answers.

A DBSherlock directory holds a good case beside the hostile one: the bad case
is one line naming its file and the place, the good case is still written.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.cli import check, is_clear, lines_about, run
from tests.fuzz.conftest import FUZZ
from tests.fuzz.hostile import NUMBERS_AT_THE_LIMITS, STRINGS, Raw, encoded, mutated, to_json

_counter = itertools.count()


def _folder(workdir: Path) -> Path:
    folder = workdir / f"case{next(_counter)}"
    folder.mkdir()
    return folder


PROMETHEUS: dict[str, Any] = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [
            {
                "metric": {"__name__": "pg_stat_database_xact_commit", "datname": "app"},
                "values": [[1700000000 + 15 * i, str(100 + i)] for i in range(12)],
            },
            {
                "metric": {"__name__": "pg_stat_activity_count", "state": "active"},
                "values": [[1700000000 + 15 * i, str(2 + (i > 7) * 10)] for i in range(12)],
            },
        ],
    },
}

CLOUDWATCH: dict[str, Any] = {
    "MetricDataResults": [
        {
            "Id": "cpu",
            "Label": "CPUUtilization",
            "Timestamps": [f"2024-05-01T10:{i:02d}:00Z" for i in range(12)],
            "Values": [10.0 + (i > 7) * 70 for i in range(12)],
            "StatusCode": "Complete",
        },
        {
            "Id": "conn",
            "Label": "DatabaseConnections",
            "Timestamps": [f"2024-05-01T10:{i:02d}:00Z" for i in range(12)],
            "Values": [40.0] * 12,
        },
    ]
}


def _import_file(kind: str, workdir: Path, content: bytes, engine: bool) -> None:
    path = _folder(workdir) / f"{kind}.json"
    path.write_bytes(content)
    argv = ["import", kind, str(path), *(["--engine", "postgres"] if engine else [])]
    result = run(argv)
    lines = lines_about(result, path)
    clear = all(is_clear(line, path) for line in lines) and len(lines) == (result.code == 1)
    check(f"import {kind}", result, {0, 1}, clear)
    if result.code == 0:
        assert json.loads(result.out)["instance"]["engine"] in ("postgres", "mysql")


@FUZZ
@given(doc=mutated(PROMETHEUS), data=st.data(), engine=st.booleans())
def test_prometheus(workdir: Path, doc: Any, data: st.DataObject, engine: bool) -> None:
    _import_file("prometheus", workdir, data.draw(encoded(to_json(doc))), engine)


_STAMP = (
    st.sampled_from(NUMBERS_AT_THE_LIMITS)
    | st.sampled_from(STRINGS[:12])
    | st.sampled_from(
        [
            "inf",
            "nan",
            "-inf",
            "1e400",
            "9" * 400,
            "2024-05-01T10:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01",
        ]
    )
)


@FUZZ
@given(stamp=_STAMP, value=_STAMP, at=st.integers(0, 11))
def test_prometheus_samples_at_the_limits(workdir: Path, stamp: Any, value: Any, at: int) -> None:
    doc = json.loads(json.dumps(PROMETHEUS))
    doc["data"]["result"][0]["values"][at] = [stamp, value]
    _import_file("prometheus", workdir, to_json(doc).encode("utf-8", "surrogatepass"), True)


@FUZZ
@given(doc=mutated(CLOUDWATCH), data=st.data(), engine=st.booleans())
def test_cloudwatch(workdir: Path, doc: Any, data: st.DataObject, engine: bool) -> None:
    _import_file("cloudwatch", workdir, data.draw(encoded(to_json(doc))), engine)


@FUZZ
@given(stamp=_STAMP, value=_STAMP, at=st.integers(0, 11))
def test_cloudwatch_samples_at_the_limits(workdir: Path, stamp: Any, value: Any, at: int) -> None:
    doc = json.loads(json.dumps(CLOUDWATCH))
    doc["MetricDataResults"][0]["Timestamps"][at] = stamp
    doc["MetricDataResults"][1]["Values"][at] = value
    _import_file("cloudwatch", workdir, to_json(doc).encode("utf-8", "surrogatepass"), True)


MANIFEST: list[dict[str, Any]] = [
    {"case": "bad_case", "causes": ["CPU Saturation"], "file": "cases/bad.csv", "abnormal_rows": [5, 9]},
    {"case": "good_case", "causes": ["Lock Contention"], "file": "cases/good.csv", "abnormal_rows": [5, 9]},
]


def _csv(rows: int = 14) -> str:
    lines = ["Epoch,cpu,lock_waits"] + [f"{i + 1},{10 + (5 <= i <= 9) * 60},{i % 3}" for i in range(rows)]
    return "\n".join(lines) + "\n"


_CELLS = st.sampled_from(
    [
        "",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e400",
        "9" * 400,
        "9" * 5000,
        "0x10",
        "1,5",
        '"',
        '"a""b"',
        "é",
        "\x00",
        "x" * 200_000,
    ]
) | st.sampled_from([str(n.text) if isinstance(n, Raw) else str(n) for n in NUMBERS_AT_THE_LIMITS])


@st.composite
def _bad_csv(draw: st.DrawFn) -> bytes:
    lines = _csv().splitlines()
    how = draw(st.sampled_from(["cell", "row", "header", "bytes", "empty"]))
    if how == "cell":
        row = draw(st.integers(1, len(lines) - 1))
        cells = lines[row].split(",")
        cells[draw(st.integers(0, 2))] = draw(_CELLS)
        lines[row] = ",".join(cells)
    elif how == "row":
        lines.insert(draw(st.integers(1, len(lines))), draw(st.text(max_size=40)))
    elif how == "header":
        lines[0] = draw(
            st.sampled_from(["", "cpu,lock_waits", "Epoch,Epoch,cpu", "Epoch," + "c" * 200_000, "Epoch"])
        )
    elif how == "empty":
        return b""
    return draw(encoded("\n".join(lines) + "\n"))


@FUZZ
@given(content=_bad_csv())
def test_dbsherlock_one_hostile_case_file(workdir: Path, content: bytes) -> None:
    root = _folder(workdir)
    (root / "cases").mkdir()
    (root / "manifest.json").write_text(json.dumps(MANIFEST))
    (root / "cases" / "bad.csv").write_bytes(content)
    (root / "cases" / "good.csv").write_text(_csv())
    out = root / "out"
    result = run(["import", "dbsherlock", str(root), "--out", str(out)])
    bad = root / "cases" / "bad.csv"
    lines = lines_about(result, bad)
    check("import dbsherlock", result, {0, 1}, all(is_clear(line, bad) for line in lines) and len(lines) <= 1)
    assert (out / "good_case.json").is_file()  # the batch went on
    assert run(["validate", str(out)]).code == 0  # and wrote only what validates


@FUZZ
@given(manifest=mutated(MANIFEST), data=st.data())
def test_dbsherlock_hostile_manifest(workdir: Path, manifest: Any, data: st.DataObject) -> None:
    root = _folder(workdir)
    (root / "cases").mkdir()
    (root / "manifest.json").write_bytes(data.draw(encoded(to_json(manifest))))
    (root / "cases" / "bad.csv").write_text(_csv())
    (root / "cases" / "good.csv").write_text(_csv())
    (root / "cases" / "dir.csv").mkdir()
    out = root / "out"
    result = run(["import", "dbsherlock", str(root), "--out", str(out)])
    unclear = [
        line
        for line in result.err_lines
        if not line.startswith("wrote ") and not is_clear(line, Path(line.split(": ", 1)[0]))
    ]
    check("import dbsherlock", result, {0, 1}, not unclear)
    if out.exists():
        assert run(["validate", str(out)]).code in (0, 1)
