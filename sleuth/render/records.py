"""Diagnoses as JSON: the one-line record of ``sleuth diagnose --format json`` and the full export."""

from __future__ import annotations

from typing import Any

from models import Diagnosis


def json_record(diagnosis: Diagnosis) -> dict[str, Any]:
    """The JSON-lines object of ``sleuth diagnose --format json``; causes best first, keys in a fixed order."""
    record: dict[str, Any] = {
        "incident": diagnosis.incident,
        "path": diagnosis.path,
        "causes": [
            {
                "cause": c.cause,
                "certainty": c.certainty,
                "evidence": [e.model_dump(mode="json") for e in c.evidence],
                "rules": list(c.rules),
                "remediations": [r.model_dump(mode="json") for r in c.remediations],
                "subjects": [s.model_dump(mode="json") for s in c.subjects],
                "window": c.window.model_dump(mode="json") if c.window is not None else None,
            }
            for c in diagnosis.causes
        ],
        "elapsed_ms": diagnosis.elapsed_ms,
        "window_inferred": diagnosis.window_inferred,
    }
    if len(diagnosis.windows) > 1:
        record["windows"] = [w.model_dump(mode="json") for w in diagnosis.windows]
    if diagnosis.health is not None:
        record["health"] = diagnosis.health.model_dump(mode="json")
    if diagnosis.errors:
        record["errors"] = list(diagnosis.errors)
    if diagnosis.similar:
        record["similar"] = [s.model_dump(mode="json") for s in diagnosis.similar]
    return record


def diagnosis_json(diagnosis: Diagnosis) -> str:
    """The whole ``models.Diagnosis``, so whatever reads it can validate it back into the model."""
    return diagnosis.model_dump_json(indent=2) + "\n"
