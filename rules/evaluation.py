"""Accuracy of a batch of diagnoses against labelled incidents (``sleuth eval``).

These are pure functions of (labels, ranked causes, path, elapsed) so the CLI,
the accuracy regression test and throwaway tuning scripts compute the same
numbers from the same definitions:

- top-1 / top-3: a case counts when *any* of its true labels is at rank 1 / in
  the first three (compound incidents have several right answers);
- per-cause precision and recall are of the top-1 answer only, because that is
  what a DBA acts on first;
- confusion counts true label -> predicted top-1 (``"none"`` when nothing was
  concluded), one count per true label;
- unexplained is the share of cases whose path is ``inconclusive``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from models import Diagnosis, DiagnosisPath

NO_PREDICTION = "none"


@dataclass(frozen=True)
class EvalCase:
    """What evaluation needs from one diagnosed incident."""

    labels: tuple[str, ...]
    ranked: tuple[str, ...]
    path: DiagnosisPath
    elapsed_ms: float

    @classmethod
    def from_diagnosis(cls, diagnosis: Diagnosis, labels: Sequence[str] | None = None) -> EvalCase:
        """Labels default to the diagnosis' own (copied from the incident by the pipeline)."""
        return cls(
            labels=tuple(diagnosis.labels if labels is None else labels),
            ranked=tuple(c.cause for c in diagnosis.causes),
            path=diagnosis.path,
            elapsed_ms=diagnosis.elapsed_ms,
        )


class CauseScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    precision: float
    recall: float
    support: int = Field(description="cases labelled with this cause")
    predicted: int = Field(description="cases whose top-1 answer is this cause")


class Latency(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p50: float
    p95: float


class EvalReport(BaseModel):
    """The JSON that ``sleuth eval --format json`` prints (``model_dump()`` gives that exact shape)."""

    model_config = ConfigDict(extra="forbid")

    cases: int
    top1: float
    top3: float
    unexplained: float
    per_cause: dict[str, CauseScore]
    confusion: dict[str, dict[str, int]]
    latency_ms: Latency


def hit_at(case: EvalCase, k: int) -> bool:
    """True when one of the case's labels is among its first ``k`` ranked causes."""
    return bool(set(case.labels) & set(case.ranked[:k]))


def top1(case: EvalCase) -> str:
    return case.ranked[0] if case.ranked else NO_PREDICTION


def evaluate_cases(cases: Iterable[EvalCase]) -> EvalReport:
    """Aggregate accuracy, per-cause precision/recall, confusion and latency over a batch."""
    batch = list(cases)
    n = len(batch)
    if n == 0:
        return EvalReport(
            cases=0,
            top1=0.0,
            top3=0.0,
            unexplained=0.0,
            per_cause={},
            confusion={},
            latency_ms=Latency(p50=0.0, p95=0.0),
        )
    confusion: dict[str, dict[str, int]] = {}
    for case in batch:
        guess = top1(case)
        for label in case.labels:
            row = confusion.setdefault(label, {})
            row[guess] = row.get(guess, 0) + 1
    causes = sorted({label for c in batch for label in c.labels} | {top1(c) for c in batch} - {NO_PREDICTION})
    per_cause = {cause: _cause_score(cause, batch) for cause in causes}
    elapsed = np.asarray([c.elapsed_ms for c in batch], dtype=float)
    return EvalReport(
        cases=n,
        top1=_share(hit_at(c, 1) for c in batch),
        top3=_share(hit_at(c, 3) for c in batch),
        unexplained=_share(c.path == "inconclusive" for c in batch),
        per_cause=per_cause,
        confusion={k: dict(sorted(v.items())) for k, v in sorted(confusion.items())},
        latency_ms=Latency(
            p50=round(float(np.percentile(elapsed, 50)), 3),
            p95=round(float(np.percentile(elapsed, 95)), 3),
        ),
    )


def _cause_score(cause: str, batch: Sequence[EvalCase]) -> CauseScore:
    labelled = [c for c in batch if cause in c.labels]
    predicted = [c for c in batch if top1(c) == cause]
    right = sum(1 for c in predicted if cause in c.labels)
    return CauseScore(
        precision=round(right / len(predicted), 4) if predicted else 0.0,
        recall=round(sum(1 for c in labelled if top1(c) == cause) / len(labelled), 4) if labelled else 0.0,
        support=len(labelled),
        predicted=len(predicted),
    )


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else 0.0


def format_table(report: EvalReport) -> str:
    """A plain-text table for ``sleuth eval --format table`` and for notes."""
    lines = [
        f"cases {report.cases}  top-1 {report.top1:.3f}  top-3 {report.top3:.3f}  "
        f"unexplained {report.unexplained:.3f}  latency p50 {report.latency_ms.p50:.2f} ms  "
        f"p95 {report.latency_ms.p95:.2f} ms",
        "",
        f"{'cause':<28} {'precision':>9} {'recall':>7} {'support':>7} {'predicted':>9}",
    ]
    for cause, score in report.per_cause.items():
        lines.append(
            f"{cause:<28} {score.precision:>9.3f} {score.recall:>7.3f} "
            f"{score.support:>7d} {score.predicted:>9d}"
        )
    misses = [
        f"  {true} -> {guess}: {count}"
        for true, row in report.confusion.items()
        for guess, count in row.items()
        if guess != true
    ]
    if misses:
        lines += ["", "confusions (true -> predicted top-1):", *misses]
    return "\n".join(lines)
