"""Prometheus ``query_range`` answers (``resultType: matrix``) as incidents."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import Incident, MetricSeries
from sources.errors import IncidentError, describe_validation, shorten
from sources.importers.options import ImportOptions, build_incident, guess_engine
from sources.incident_files import read_json


def _series_name(metric: dict[str, Any], index: int) -> tuple[str, str]:
    base = str(metric.get("__name__") or f"series_{index}")
    labels = ",".join(
        f'{k}="{v}"' for k, v in sorted(metric.items()) if k not in {"__name__", "instance", "job"}
    )
    return base, f"{base}{{{labels}}}" if labels else base


def _float(raw: Any) -> float:
    """A JSON number or numeric string as a float; one too large for a float is infinite."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise TypeError(type(raw).__name__)
    try:
        return float(raw)
    except OverflowError:
        return math.inf if not str(raw).lstrip().startswith("-") else -math.inf


def _sample(path: Path, where: str, pair: Any) -> tuple[float, float | None]:
    """One ``[timestamp, "value"]`` pair; a value that is not finite (NaN, ±Inf) is a missing sample."""
    if not isinstance(pair, list) or len(pair) != 2:
        raise IncidentError(path, f'{where}: expected [timestamp, "value"]')
    try:
        t = _float(pair[0])
        v = _float(pair[1])
    except (TypeError, ValueError):
        raise IncidentError(path, f"{where}: not a number: {shorten(pair)}") from None
    if not math.isfinite(t):
        raise IncidentError(path, f"{where}.0: the timestamp is not a finite number: {shorten(pair[0])}")
    return t, v if math.isfinite(v) else None


def parse_matrix(path: Path, data: Any) -> list[MetricSeries]:
    if not isinstance(data, dict):
        raise IncidentError(path, "(top level): expected a JSON object")
    if data.get("status") not in (None, "success"):
        raise IncidentError(path, f"status: query failed: {shorten(data.get('error', data.get('status')))}")
    body = data.get("data")
    if not isinstance(body, dict):
        raise IncidentError(path, "data: field required")
    if body.get("resultType") != "matrix":
        raise IncidentError(
            path, f"data.resultType: expected 'matrix', got {shorten(body.get('resultType'))}"
        )
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
        pairs = sorted(
            (_sample(path, f"{where}.values.{j}", p) for j, p in enumerate(item["values"])),
            key=lambda p: p[0],
        )
        ts = [t for t, _ in pairs]
        for j in range(1, len(ts)):
            if ts[j] == ts[j - 1]:
                raise IncidentError(path, f"{where}.values: duplicate timestamp {ts[j]}")
        named.append((base, full, ts, [v for _, v in pairs]))
    bases = Counter(b for b, _, _, _ in named)
    return [
        MetricSeries(name=base if bases[base] == 1 else full, timestamps=ts, values=vs)
        for base, full, ts, vs in named
    ]


def import_prometheus(path: str | Path, options: ImportOptions) -> Incident:
    p = Path(path)
    data = read_json(p)
    try:
        series = parse_matrix(p, data)
    except ValidationError as exc:
        raise IncidentError(p, f"data.result: {describe_validation(exc)}") from None
    if not series:
        raise IncidentError(p, "data.result: no series")
    engine = options.engine or guess_engine([s.name for s in series])
    if engine is None:
        raise IncidentError(p, "data.result: the metric names do not tell the engine; pass --engine")
    return build_incident(p, series, engine, options, kind="prometheus", title="Prometheus export")
