"""``aws cloudwatch get-metric-data`` output as incidents.

CloudWatch returns newest first by default and may split a query into pages;
samples are re-sorted and pages (a JSON list of answers) are concatenated.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import Incident, MetricSeries
from sources.errors import IncidentError, describe_validation, shorten
from sources.importers.options import ImportOptions, build_incident, guess_engine
from sources.incident_files import read_json


def _finite(raw: int | float) -> float:
    """A JSON number as a float; one too large for a float is infinite."""
    try:
        return float(raw)
    except OverflowError:
        return math.inf if raw > 0 else -math.inf


def _epoch(path: Path, where: str, raw: Any) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        when = _finite(raw)
        if not math.isfinite(when):
            raise IncidentError(path, f"{where}: the timestamp is not a finite number: {shorten(raw)}")
        return when
    if not isinstance(raw, str):
        raise IncidentError(path, f"{where}: expected an ISO 8601 timestamp")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        raise IncidentError(path, f"{where}: not an ISO 8601 timestamp: {shorten(raw)}") from None


def parse_results(path: Path, data: Any) -> list[MetricSeries]:
    pages = data if isinstance(data, list) else [data]
    merged: dict[str, dict[float, float | None]] = {}
    for page_no, page in enumerate(pages):
        where_page = f"[{page_no}]." if isinstance(data, list) else ""
        if not isinstance(page, dict) or not isinstance(page.get("MetricDataResults"), list):
            raise IncidentError(path, f"{where_page}MetricDataResults: field required")
        for i, item in enumerate(page["MetricDataResults"]):
            where = f"{where_page}MetricDataResults.{i}"
            if not isinstance(item, dict):
                raise IncidentError(path, f"{where}: expected an object")
            name = str(item.get("Label") or item.get("Id") or "")
            if not name:
                raise IncidentError(path, f"{where}.Id: field required")
            ts, vs = item.get("Timestamps", []), item.get("Values", [])
            if not isinstance(ts, list) or not isinstance(vs, list):
                raise IncidentError(path, f"{where}: Timestamps and Values must be lists")
            if len(ts) != len(vs):
                raise IncidentError(path, f"{where}: {len(ts)} Timestamps but {len(vs)} Values")
            samples = merged.setdefault(name, {})
            for j, (t, v) in enumerate(zip(ts, vs, strict=True)):
                when = _epoch(path, f"{where}.Timestamps.{j}", t)
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    raise IncidentError(path, f"{where}.Values.{j}: not a number: {shorten(v)}")
                if when in samples:
                    raise IncidentError(path, f"{where}.Timestamps.{j}: duplicate timestamp {shorten(t)}")
                value = _finite(v)
                if math.isinf(value):  # CloudWatch holds finite doubles: this is not one (NaN is a gap)
                    raise IncidentError(
                        path, f"{where}.Values.{j}: out of the range of a number: {shorten(v)}"
                    )
                samples[when] = None if math.isnan(value) else value
    return [
        MetricSeries(name=name, timestamps=sorted(s), values=[s[t] for t in sorted(s)])
        for name, s in merged.items()
    ]


def import_cloudwatch(path: str | Path, options: ImportOptions) -> Incident:
    p = Path(path)
    data = read_json(p)
    try:
        series = parse_results(p, data)
    except ValidationError as exc:
        raise IncidentError(p, f"MetricDataResults: {describe_validation(exc)}") from None
    if not series:
        raise IncidentError(p, "MetricDataResults: no series")
    engine = options.engine or guess_engine([s.name for s in series])
    if engine is None:
        raise IncidentError(
            p, "MetricDataResults: CloudWatch metric names do not tell the engine; pass --engine"
        )
    return build_incident(p, series, engine, options, kind="cloudwatch", title="CloudWatch export")
