"""``aws cloudwatch get-metric-data`` output as incidents.

CloudWatch returns newest first by default and may split a query into pages;
samples are re-sorted and pages (a JSON list of answers) are concatenated.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import Incident, Instance, MetricSeries
from sources.importers.errors import IncidentError, describe_validation
from sources.importers.incident_file import read_json
from sources.importers.options import ImportOptions, guess_engine


def _epoch(path: Path, where: str, raw: Any) -> float:
    if isinstance(raw, (int, float)):
        return float(raw)
    if not isinstance(raw, str):
        raise IncidentError(path, f"{where}: expected an ISO 8601 timestamp")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise IncidentError(path, f"{where}: not an ISO 8601 timestamp: {raw!r}") from None


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
                    raise IncidentError(path, f"{where}.Values.{j}: not a number: {v!r}")
                if when in samples:
                    raise IncidentError(path, f"{where}.Timestamps.{j}: duplicate timestamp {t}")
                samples[when] = float(v) if math.isfinite(v) else None
    return [
        MetricSeries(name=name, timestamps=sorted(s), values=[s[t] for t in sorted(s)])
        for name, s in merged.items()
    ]


def import_cloudwatch(path: str | Path, options: ImportOptions) -> Incident:
    p = Path(path)
    series = parse_results(p, read_json(p))
    if not series:
        raise IncidentError(p, "MetricDataResults: no series")
    engine = options.engine or guess_engine([s.name for s in series])
    if engine is None:
        raise IncidentError(p, "CloudWatch metrics do not name the engine; pass --engine")
    try:
        return Incident(
            id=options.incident_id or re.sub(r"[^A-Za-z0-9_.:-]", "_", p.stem).lstrip("_.:-") or "incident",
            title=options.title or f"CloudWatch export {p.name}",
            instance=Instance(engine=engine),
            metrics=series,
            window=options.window,
            labels=options.labels,
            source=f"cloudwatch:{p.name}",
        )
    except ValidationError as exc:
        raise IncidentError(p, describe_validation(exc)) from None
