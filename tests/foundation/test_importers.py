"""Importers on the real DBSherlock data and on Prometheus/CloudWatch answers, good and bad."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Incident
from sources.importers import (
    DBSHERLOCK_CAUSE_IDS,
    ImportOptions,
    IncidentError,
    import_cloudwatch,
    import_dbsherlock,
    import_prometheus,
)
from sources.incident_files import load_incident


def test_dbsherlock_imports_all_seventy_cases(dbsherlock_dir: Path) -> None:
    results = list(import_dbsherlock(dbsherlock_dir))
    incidents = [r for r in results if isinstance(r, Incident)]
    assert len(incidents) == 70 and len(results) == 70
    manifest = {c["case"]: c for c in json.loads((dbsherlock_dir / "manifest.json").read_text())}
    for inc in incidents:
        case = manifest[inc.id]
        first, last = case["abnormal_rows"]
        rows = (dbsherlock_dir / case["file"]).read_text().strip().splitlines()
        ts = inc.metrics[0].timestamps
        assert len(ts) == len(rows) - 1  # header
        assert inc.window is not None
        assert (inc.window.start, inc.window.end) == (ts[first], ts[last])
        assert inc.labels == [DBSHERLOCK_CAUSE_IDS[c] for c in case["causes"]]
        assert len(inc.metrics) == 93  # 94 columns less Epoch
        assert inc.instance.engine == "mysql"


def _mini_dbsherlock(
    tmp_path: Path, dbsherlock_dir: Path, causes: list[str], csv_text: str | None = None
) -> Path:
    (tmp_path / "cases").mkdir()
    src = dbsherlock_dir / "cases" / "cpu_saturation-01.csv"
    if csv_text is None:
        shutil.copy(src, tmp_path / "cases" / "x.csv")
    else:
        (tmp_path / "cases" / "x.csv").write_text(csv_text)
    manifest = [{"case": "x-01", "causes": causes, "file": "cases/x.csv", "abnormal_rows": [2, 4]}]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_dbsherlock_compound_causes_keep_every_label(tmp_path: Path, dbsherlock_dir: Path) -> None:
    d = _mini_dbsherlock(tmp_path, dbsherlock_dir, ["CPU Saturation", "Lock Contention"])
    (inc,) = list(import_dbsherlock(d))
    assert isinstance(inc, Incident)
    assert inc.labels == ["cpu_saturation", "lock_contention"]


def test_dbsherlock_ragged_row_names_file_and_line(tmp_path: Path, dbsherlock_dir: Path) -> None:
    d = _mini_dbsherlock(
        tmp_path, dbsherlock_dir, ["CPU Saturation"], "Epoch,a,b\n1,2,3\n2,3\n3,4,5\n4,5,6\n5,6,7\n"
    )
    (err,) = list(import_dbsherlock(d))
    assert isinstance(err, IncidentError)
    assert str(err) == f"{d / 'cases' / 'x.csv'}: line 3: ragged row with 2 fields, header has 3"


def test_dbsherlock_unknown_cause_is_an_error(tmp_path: Path, dbsherlock_dir: Path) -> None:
    d = _mini_dbsherlock(tmp_path, dbsherlock_dir, ["Gremlins"])
    with pytest.raises(IncidentError) as info:
        list(import_dbsherlock(d))
    assert str(info.value) == f"{d / 'manifest.json'}: [0].causes: unknown DBSherlock cause 'Gremlins'"


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    rows=st.integers(1, 40),
    cols=st.integers(1, 5),
    bounds=st.tuples(st.integers(0, 39), st.integers(0, 39)),
    data=st.data(),
)
def test_dbsherlock_invariants(
    tmp_path_factory: pytest.TempPathFactory,
    rows: int,
    cols: int,
    bounds: tuple[int, int],
    data: st.DataObject,
) -> None:
    d = tmp_path_factory.mktemp("dbs")
    (d / "cases").mkdir()
    values = data.draw(
        st.lists(
            st.lists(st.integers(-1000, 1000), min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
    header = "Epoch," + ",".join(f"m{i}" for i in range(cols))
    lines = [header] + [f"{i + 1}," + ",".join(map(str, r)) for i, r in enumerate(values)]
    (d / "cases" / "c.csv").write_text("\n".join(lines) + "\n")
    first, last = sorted(bounds)
    manifest = [
        {"case": "c", "causes": ["Workload Spike"], "file": "cases/c.csv", "abnormal_rows": [first, last]}
    ]
    (d / "manifest.json").write_text(json.dumps(manifest))
    (out,) = list(import_dbsherlock(d))
    if last >= rows:
        assert isinstance(out, IncidentError)
        assert "beyond the" in str(out)
        return
    if (first, last) == (0, rows - 1):  # no row outside the window: nothing to compare it with
        assert isinstance(out, IncidentError)
        assert (
            str(out)
            == f"{d / 'cases' / 'c.csv'}: window: covers every sample, which leaves no baseline to compare it with"
        )
        return
    assert isinstance(out, Incident)
    assert [len(m.values) for m in out.metrics] == [rows] * cols
    assert out.window is not None
    assert out.window.start == first + 1 and out.window.end == last + 1
    assert [m.values for m in out.metrics] == [[float(r[i]) for r in values] for i in range(cols)]


def _prom(result: list[dict[str, object]]) -> dict[str, object]:
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def test_prometheus_matrix(tmp_path: Path) -> None:
    body = _prom(
        [
            {
                "metric": {"__name__": "mysql_global_status_threads_running", "instance": "db:9104"},
                "values": [[2, "5"], [1, "3"], [3, "NaN"]],
            },
            {
                "metric": {"__name__": "node_cpu_seconds_total", "cpu": "0", "mode": "user"},
                "values": [[1, "1.5"]],
            },
            {
                "metric": {"__name__": "node_cpu_seconds_total", "cpu": "1", "mode": "user"},
                "values": [[1, "2.5"]],
            },
        ]
    )
    f = tmp_path / "prom.json"
    f.write_text(json.dumps(body))
    inc = import_prometheus(f, ImportOptions())
    assert inc.instance.engine == "mysql"
    names = [m.name for m in inc.metrics]
    assert names == [
        "mysql_global_status_threads_running",
        'node_cpu_seconds_total{cpu="0",mode="user"}',
        'node_cpu_seconds_total{cpu="1",mode="user"}',
    ]
    assert inc.metrics[0].timestamps == [1.0, 2.0, 3.0]
    assert inc.metrics[0].values == [3.0, 5.0, None]


def test_prometheus_wrong_result_type(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}))
    with pytest.raises(IncidentError) as info:
        import_prometheus(f, ImportOptions(engine="postgres"))
    assert str(info.value) == f"{f}: data.resultType: expected 'matrix', got 'vector'"


def test_prometheus_without_engine_hint_asks_for_it(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps(_prom([{"metric": {"__name__": "up"}, "values": [[1, "1"]]}])))
    with pytest.raises(IncidentError) as info:
        import_prometheus(f, ImportOptions())
    assert str(info.value).endswith("data.result: the metric names do not tell the engine; pass --engine")


def test_cloudwatch_sorted_and_paged(tmp_path: Path) -> None:
    page = {
        "MetricDataResults": [
            {
                "Id": "cpu",
                "Label": "CPUUtilization",
                "Timestamps": ["2026-11-01T10:02:00Z", "2026-11-01T10:01:00Z"],
                "Values": [80.0, 20.0],
                "StatusCode": "Complete",
            }
        ]
    }
    page2 = {
        "MetricDataResults": [
            {"Id": "cpu", "Label": "CPUUtilization", "Timestamps": ["2026-11-01T10:00:00Z"], "Values": [10.0]}
        ]
    }
    f = tmp_path / "cw.json"
    f.write_text(json.dumps([page, page2]))
    inc = import_cloudwatch(f, ImportOptions(engine="postgres", incident_id="cw-1"))
    (cpu,) = inc.metrics
    assert cpu.name == "CPUUtilization"
    assert cpu.values == [10.0, 20.0, 80.0]
    assert cpu.timestamps[1] - cpu.timestamps[0] == 60.0
    assert inc.id == "cw-1"


def test_cloudwatch_length_mismatch(tmp_path: Path) -> None:
    f = tmp_path / "cw.json"
    f.write_text(
        json.dumps({"MetricDataResults": [{"Id": "a", "Timestamps": ["2026-11-01T10:00:00Z"], "Values": []}]})
    )
    with pytest.raises(IncidentError) as info:
        import_cloudwatch(f, ImportOptions(engine="mysql"))
    assert str(info.value) == f"{f}: MetricDataResults.0: 1 Timestamps but 0 Values"


def test_example_incidents_are_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "incidents"
    files = sorted(root.glob("*.json"))
    assert len(files) >= 5
    engines = {load_incident(f).instance.engine for f in files}
    assert engines == {"mysql", "postgres"}
