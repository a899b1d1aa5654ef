"""Prometheus ``query_range`` answers (``resultType: matrix``) as incidents."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import Incident, Instance, MetricSeries
from sources.importers.errors import IncidentError, describe_validation
from sources.importers.incident_file import read_json
from sources.importers.options import ImportOptions, guess_engine


def _series_name(metric: dict[str, Any], index: int) -> tuple[str, str]:
    base = str(metric.get("__name__") or f"series_{index}")
    labels = ",".join(
        f'{k}="{v}"' for k, v in sorted(metric.items()) if k not in {"__name__", "instance", "job"}
    )
    return base, f"{base}{{{labels}}}" if labels else base


def _sample(path: Path, where: str, pair: Any) -> tuple[float, float | None]:
    if not isinstance(pair, list) or len(pair) != 2:
        raise IncidentError(path, f'{where}: expected [timestamp, "value"]')
    try:
        t = float(pair[0])
        v = float(pair[1])
    except (TypeError, ValueError):
        raise IncidentError(path, f"{where}: not a number: {pair!r}") from None
    return t, v if math.isfinite(v) else None


def parse_matrix(path: Path, data: Any) -> list[MetricSeries]:
    if not isinstance(data, dict):
        raise IncidentError(path, "(top level): expected a JSON object")
    if data.get("status") not in (None, "success"):
        raise IncidentError(path, f"status: query failed: {data.get('error', data.get('status'))}")
    body = data.get("data")
    if not isinstance(body, dict):
        raise IncidentError(path, "data: field required")
    if body.get("resultType") != "matrix":
        raise IncidentError(path, f"data.resultType: expected 'matrix', got {body.get('resultType')!r}")
    result = body.get("result")
    if not isinstance(result, list):
        raise IncidentError(path, "data.result: expected a list")
    named: list[tuple[str, str, list[float], list[float | None]]] = []
    for i, item in enumerate(result):
        where = f"data.result.{i}"
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise IncidentError(path, f"{where}.values: expected a list of samples")
        raw_metric = item.get("metric")
        metric: dict[str, Any] = raw_metric if isinstance(raw_metric, dict) else {}
        base, full = _series_name(metric, i)
        pairs = sorted(_sample(path, f"{where}.values.{j}", p) for j, p in enumerate(item["values"]))
        ts = [t for t, _ in pairs]
        for j in range(1, len(ts)):
            if ts[j] == ts[j - 1]:
                raise IncidentError(path, f"{where}.values: duplicate timestamp {ts[j]}")
        named.append((base, full, ts, [v for _, v in pairs]))
    bases = [b for b, _, _, _ in named]
    return [
        MetricSeries(name=base if bases.count(base) == 1 else full, timestamps=ts, values=vs)
        for base, full, ts, vs in named
    ]


def import_prometheus(path: str | Path, options: ImportOptions) -> Incident:
    p = Path(path)
    series = parse_matrix(p, read_json(p))
    if not series:
        raise IncidentError(p, "data.result: no series")
    engine = options.engine or guess_engine([s.name for s in series])
    if engine is None:
        raise IncidentError(p, "cannot tell the engine from the metric names; pass --engine")
    try:
        return Incident(
            id=options.incident_id or re.sub(r"[^A-Za-z0-9_.:-]", "_", p.stem).lstrip("_.:-") or "incident",
            title=options.title or f"Prometheus export {p.name}",
            instance=Instance(engine=engine),
            metrics=series,
            window=options.window,
            labels=options.labels,
            source=f"prometheus:{p.name}",
        )
    except ValidationError as exc:
        raise IncidentError(p, describe_validation(exc)) from None
