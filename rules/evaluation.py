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

Incidents with several true causes (k of them) are also scored as sets:
*all in top k* (every true cause among the first k), *both in top 2* (the
first two ranked are two true causes), and *extra causes per incident* (reported
causes that are not true, counted over every labelled incident). Incidents
labelled healthy (``label_healthy``, no causes) have no right cause to rank;
they give the *false-alarm rate*: the share not answered ``healthy``.
Calibration is the expected calibration error of the certainties of every
reported cause (right when it is a true cause), over ten equal-width bins.
The single-cause figures above count labelled incidents only.
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
    certainties: tuple[float, ...] = ()
    label_healthy: bool = False

    @classmethod
    def from_diagnosis(cls, diagnosis: Diagnosis, labels: Sequence[str] | None = None) -> EvalCase:
        """Labels default to the diagnosis' own (copied from the incident by the pipeline)."""
        return cls(
            labels=tuple(diagnosis.labels if labels is None else labels),
            ranked=tuple(c.cause for c in diagnosis.causes),
            path=diagnosis.path,
            elapsed_ms=diagnosis.elapsed_ms,
            certainties=tuple(c.certainty for c in diagnosis.causes),
            label_healthy=diagnosis.label_healthy and labels is None,
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


class MultiCauseScore(BaseModel):
    """Incidents with two or more true causes."""

    model_config = ConfigDict(extra="forbid")

    cases: int
    all_in_top_k: float = Field(
        description="every true cause among the first k, k = the number of true causes"
    )
    both_in_top2: float = Field(description="the first two ranked causes are both true causes")
    extra_per_incident: float = Field(description="reported causes that are not true, per incident")


class HealthyScore(BaseModel):
    """Incidents labelled healthy: every answer but ``healthy`` is a false alarm."""

    model_config = ConfigDict(extra="forbid")

    cases: int
    false_alarms: int
    false_alarm_rate: float
    with_cause: int = Field(description="false alarms that reported a cause")


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
    extra_per_incident: float = Field(
        default=0.0, description="reported causes that are not true, per labelled incident"
    )
    healthy_answers: int = Field(default=0, description="labelled incidents answered `healthy`")
    multi_cause: MultiCauseScore | None = None
    healthy: HealthyScore | None = None
    ece: float = Field(default=0.0, description="expected calibration error of the reported certainties")


def hit_at(case: EvalCase, k: int) -> bool:
    """True when one of the case's labels is among its first ``k`` ranked causes."""
    return bool(set(case.labels) & set(case.ranked[:k]))


def top1(case: EvalCase) -> str:
    return case.ranked[0] if case.ranked else NO_PREDICTION


def evaluate_cases(cases: Iterable[EvalCase]) -> EvalReport:
    """Aggregate accuracy, per-cause precision/recall, confusion and latency over a batch."""
    every = list(cases)
    batch = [c for c in every if not c.label_healthy]
    n = len(batch)
    elapsed = np.asarray([c.elapsed_ms for c in every] or [0.0], dtype=float)
    latency = Latency(
        p50=round(float(np.percentile(elapsed, 50)), 3), p95=round(float(np.percentile(elapsed, 95)), 3)
    )
    confusion: dict[str, dict[str, int]] = {}
    for case in batch:
        guess = top1(case)
        for label in case.labels:
            row = confusion.setdefault(label, {})
            row[guess] = row.get(guess, 0) + 1
    causes = sorted({label for c in batch for label in c.labels} | {top1(c) for c in batch} - {NO_PREDICTION})
    per_cause = {cause: _cause_score(cause, batch) for cause in causes}
    return EvalReport(
        cases=n,
        top1=_share(hit_at(c, 1) for c in batch),
        top3=_share(hit_at(c, 3) for c in batch),
        unexplained=_share(c.path == "inconclusive" for c in batch),
        per_cause=per_cause,
        confusion={k: dict(sorted(v.items())) for k, v in sorted(confusion.items())},
        latency_ms=latency,
        extra_per_incident=_mean(extra_causes(c) for c in batch),
        healthy_answers=sum(c.path == "healthy" for c in batch),
        multi_cause=_multi_cause([c for c in batch if len(set(c.labels)) >= 2]),
        healthy=_healthy([c for c in every if c.label_healthy]),
        ece=expected_calibration_error(every),
    )


def all_in_top_k(case: EvalCase) -> bool:
    """Every true cause among the first k ranked, k being the number of true causes."""
    truth = set(case.labels)
    return bool(truth) and truth <= set(case.ranked[: len(truth)])


def both_in_top2(case: EvalCase) -> bool:
    """The first two ranked causes are two different true causes."""
    return len(case.ranked) >= 2 and len(set(case.ranked[:2]) & set(case.labels)) == 2


def extra_causes(case: EvalCase) -> int:
    """Reported causes that are not true causes."""
    return sum(1 for cause in case.ranked if cause not in case.labels)


def expected_calibration_error(cases: Iterable[EvalCase], bins: int = 10) -> float:
    """Gap between certainty and the share of right answers, weighted over equal-width certainty bins."""
    pairs = [
        (min(1.0, max(0.0, certainty)), cause in case.labels)
        for case in cases
        for cause, certainty in zip(case.ranked, case.certainties, strict=False)
    ]
    if not pairs:
        return 0.0
    conf = np.asarray([p[0] for p in pairs])
    right = np.asarray([p[1] for p in pairs], dtype=float)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    gap = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            gap += float(members.sum()) * abs(float(right[members].mean()) - float(conf[members].mean()))
    return round(gap / len(pairs), 4)


def _multi_cause(batch: Sequence[EvalCase]) -> MultiCauseScore | None:
    if not batch:
        return None
    return MultiCauseScore(
        cases=len(batch),
        all_in_top_k=_share(all_in_top_k(c) for c in batch),
        both_in_top2=_share(both_in_top2(c) for c in batch),
        extra_per_incident=_mean(extra_causes(c) for c in batch),
    )


def _healthy(batch: Sequence[EvalCase]) -> HealthyScore | None:
    if not batch:
        return None
    alarms = [c for c in batch if c.path != "healthy"]
    return HealthyScore(
        cases=len(batch),
        false_alarms=len(alarms),
        false_alarm_rate=round(len(alarms) / len(batch), 4),
        with_cause=sum(1 for c in alarms if c.ranked),
    )


def _mean(values: Iterable[int]) -> float:
    seen = list(values)
    return round(sum(seen) / len(seen), 4) if seen else 0.0


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
    if report.multi_cause is not None:
        m = report.multi_cause
        lines += [
            "",
            f"multi-cause {m.cases}  all in top-k {m.all_in_top_k:.3f}  both in top-2 {m.both_in_top2:.3f}  "
            f"extra causes per incident {m.extra_per_incident:.2f}",
        ]
    if report.healthy is not None:
        h = report.healthy
        lines += [
            "",
            f"healthy {h.cases}  false alarms {h.false_alarms} ({h.false_alarm_rate:.3f}), "
            f"{h.with_cause} with a cause",
        ]
    lines += [
        "",
        f"extra causes per incident {report.extra_per_incident:.2f}  answered healthy "
        f"{report.healthy_answers}  calibration error (ECE) {report.ece:.3f}",
    ]
    misses = [
        f"  {true} -> {guess}: {count}"
        for true, row in report.confusion.items()
        for guess, count in row.items()
        if guess != true
    ]
    if misses:
        lines += ["", "confusions (true -> predicted top-1):", *misses]
    return "\n".join(lines)
