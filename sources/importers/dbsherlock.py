"""DBSherlock cases (a ``manifest.json`` and ``cases/*.csv``) as incidents.

The labelled causes go through one explicit table so that evaluation compares
like with like; an unknown label is an error, not a silent drop.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import Incident, Instance, MetricSeries, TimeWindow
from models.incident import diagnosis_problem
from sources.errors import IncidentError, describe_validation
from sources.incident_files import decode_utf8, read_json, read_text

# DBSherlock's cause labels -> knowledge-graph cause ids.
CAUSE_IDS: dict[str, str] = {
    "Poorly Written Query": "poorly_written_query",
    "Poor Physical Design": "poor_physical_design",
    "Workload Spike": "workload_spike",
    "I/O Saturation": "io_saturation",
    "DB Backup": "db_backup",
    "Table Restore": "table_restore",
    "CPU Saturation": "cpu_saturation",
    "Flush Log/Table": "flush_log_table",
    "Network Congestion": "network_congestion",
    "Lock Contention": "lock_contention",
}

TIME_COLUMN = "Epoch"


@dataclass(frozen=True)
class Case:
    name: str
    causes: list[str]
    file: Path
    abnormal_rows: tuple[int, int]
    interval_s: float


def _case(manifest: Path, index: int, raw: Any) -> Case:
    where = f"[{index}]"
    if not isinstance(raw, dict):
        raise IncidentError(manifest, f"{where}: expected an object")
    try:
        name = str(raw["case"])
        causes = raw["causes"]
        file = raw["file"]
        rows = raw["abnormal_rows"]
    except KeyError as exc:
        raise IncidentError(manifest, f"{where}.{exc.args[0]}: field required") from None
    if not isinstance(causes, list) or not causes:
        raise IncidentError(manifest, f"{where}.causes: expected a non-empty list")
    unknown = [c for c in causes if c not in CAUSE_IDS]
    if unknown:
        raise IncidentError(manifest, f"{where}.causes: unknown DBSherlock cause {unknown[0]!r}")
    if (
        not isinstance(rows, list)
        or len(rows) != 2
        or not all(isinstance(r, int) and not isinstance(r, bool) for r in rows)
        or rows[0] < 0
        or rows[0] > rows[1]
    ):
        raise IncidentError(
            manifest, f"{where}.abnormal_rows: expected [first, last] with 0 <= first <= last"
        )
    interval = raw.get("sample_interval_s", 1)
    if (
        not isinstance(interval, (int, float))
        or isinstance(interval, bool)
        or not math.isfinite(interval)
        or interval <= 0
    ):
        raise IncidentError(manifest, f"{where}.sample_interval_s: expected a positive number")
    if not isinstance(file, str) or not file:
        raise IncidentError(manifest, f"{where}.file: expected the path of a CSV file")
    return Case(name, [CAUSE_IDS[c] for c in causes], manifest.parent / file, (rows[0], rows[1]), interval)


def read_manifest(directory: Path) -> list[Case]:
    manifest = directory / "manifest.json"
    data = read_json(manifest)
    if not isinstance(data, list):
        raise IncidentError(manifest, "(top level): expected a list of cases")
    return [_case(manifest, i, raw) for i, raw in enumerate(data)]


def _number(text: str) -> float | None:
    text = text.strip()
    if not text or text.lower() in {"nan", "null", "none"}:
        return None
    v = float(text)
    return v if math.isfinite(v) else None


def read_case_csv(path: Path) -> tuple[list[float], dict[str, list[float | None]]]:
    """Timestamps and columns; a ragged row, a non-number or a bad byte names the line (and column)."""
    text = decode_utf8(path, read_text(path))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise IncidentError(path, "empty CSV")
        header = [h.strip() for h in header]
        if TIME_COLUMN not in header:
            raise IncidentError(path, f"line 1: no {TIME_COLUMN!r} column")
        dupes = {h for h in header if header.count(h) > 1}
        if dupes:
            raise IncidentError(path, f"line 1: duplicate column {sorted(dupes)[0]!r}")
        columns: dict[str, list[float | None]] = {h: [] for h in header}
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise IncidentError(
                    path, f"line {line}: ragged row with {len(row)} fields, header has {len(header)}"
                )
            for name, cell in zip(header, row, strict=True):
                try:
                    columns[name].append(_number(cell))
                except ValueError:
                    raise IncidentError(
                        path, f"line {line} column {name!r}: not a number: {cell[:40]!r}"
                    ) from None
    except csv.Error as exc:  # a field over the csv module's limit, a stray quote
        raise IncidentError(path, f"line {max(1, reader.line_num)}: {exc}") from None
    times = columns.pop(TIME_COLUMN)
    if not times:
        raise IncidentError(path, "no data rows")
    if any(t is None for t in times):
        raise IncidentError(path, f"column {TIME_COLUMN!r}: missing timestamp")
    return [float(t) for t in times if t is not None], columns


def case_to_incident(case: Case) -> Incident:
    timestamps, columns = read_case_csv(case.file)
    first, last = case.abnormal_rows
    if last >= len(timestamps):
        raise IncidentError(
            case.file,
            f"abnormal_rows: [{first}, {last}] (in the manifest) is beyond the {len(timestamps)} data rows",
        )
    try:
        incident = Incident(
            id=case.name,
            title=f"DBSherlock TPC-C case {case.name}",
            instance=Instance(engine="mysql", version="5.6", vcpu=4, storage_type="local"),
            metrics=[MetricSeries(name=n, timestamps=timestamps, values=v) for n, v in columns.items()],
            window=TimeWindow(start=timestamps[first], end=timestamps[last]),
            labels=case.causes,
            source=f"dbsherlock:{case.file.name}",
        )
    except ValidationError as exc:
        raise IncidentError(case.file, describe_validation(exc)) from None
    problem = diagnosis_problem(incident)
    if problem is not None:
        raise IncidentError(case.file, problem)
    return incident


def import_directory(directory: str | Path) -> Iterator[Incident | IncidentError]:
    """Each case as an incident or the error that stopped it, so one bad case never ends a batch."""
    root = Path(directory)
    if not root.is_dir():
        raise IncidentError(root, "not a directory")
    for case in read_manifest(root):
        try:
            yield case_to_incident(case)
        except IncidentError as exc:
            yield exc
