"""An incident file from what the watcher kept: the baseline before the onset and the incident itself.

The capture is built by the collectors' own ``IncidentBuilder``, so a
watcher's incident reads exactly like one from ``sleuth collect``: rates
from counters, statement activity, tables and plans. Two things are added:
the window the watcher detected (so the diagnosis measures what the watcher
saw) and each gap in the watching (a server restart, a network blip, the
watcher's own restart) as an event and a log line, so no one mistakes a hole
in the series for the database's behaviour.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from models import Event, Incident, LogExcerpt, StatementPlan, TableInfo, TimeWindow
from models.incident import WATCH_SOURCE
from sleuth.watch.ring import Packed, Texts, unpack
from sources.live.builder import IncidentBuilder
from sources.live.sample import Sample, ServerInfo, TableReading
from sources.live.workload import MAX_STATEMENTS

# Statements unpacked for the builder, heaviest first: its top list, with room for the
# monitoring statements it leaves out. The rest would cost memory and change nothing.
STATEMENT_ROOM = 3 * MAX_STATEMENTS
_TIME = "total_time_ms"


@dataclass
class Edges:
    """What is read once per capture: settings, and the tables at the start and end with their plans."""

    settings: dict[str, str] = field(default_factory=dict)
    start_tables: list[TableReading] = field(default_factory=list)
    end_tables: list[TableReading] = field(default_factory=list)
    details: list[TableInfo] = field(default_factory=list)
    plans: list[StatementPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def stamp(t: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def incident_id(server: str, onset: float) -> str:
    """The same onset always names the same incident: a restarted watcher resumes it by name."""
    return f"watch-{server}-{stamp(onset)}"


def heaviest(samples: Sequence[Packed], limit: int = STATEMENT_ROOM) -> set[str] | None:
    """The digests whose time grew most over the samples; ``None`` when all of them fit."""
    read = [p for p in samples if p.statement_ids is not None and p.statements is not None]
    if not read:
        return None
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for packed in read:
        assert packed.statement_ids is not None and packed.statements is not None
        if _TIME not in packed.statement_names:
            continue
        column = packed.statement_names.index(_TIME)
        values = packed.statements[:, column]
        for digest, value in zip(packed.statement_ids, values.tolist(), strict=True):
            if value == value:
                first.setdefault(digest, value)
                last[digest] = value
    if len(last) <= limit:
        return None
    grew = {d: (v - first[d] if v >= first[d] else v) for d, v in last.items()}
    return set(sorted(grew, key=lambda d: -grew[d])[:limit])


def _only(sample: Sample, keep: set[str] | None) -> Sample:
    if keep is None or sample.statements is None:
        return sample
    sample.statements = {d: r for d, r in sample.statements.items() if d in keep}
    return sample


def build(
    *,
    server: str,
    info: ServerInfo,
    samples: Sequence[Packed],
    texts: Texts,
    window: TimeWindow,
    interval_s: float,
    edges: Edges,
    onset: float,
    resolved: bool,
) -> Incident:
    """The incident of ``samples`` (baseline and incident, oldest first) with the detected window."""
    keep = heaviest(samples)
    builder = IncidentBuilder(
        info=info, started=samples[0].time if samples else onset, interval_s=interval_s, window=window
    )
    for packed in samples:
        builder.add(_only(unpack(packed, texts), keep))
    builder.settings = dict(edges.settings)
    builder.start_tables = list(edges.start_tables)
    builder.end_tables = list(edges.end_tables)
    builder.table_details = list(edges.details)
    builder.plans = list(edges.plans)
    builder.notes = list(edges.notes)
    incident = builder.build()
    gaps = [(p.time, p.gap) for p in samples if p.gap is not None]
    events = [
        Event(time=t, kind="other", description=f"monitoring gap: {why}", details={"source": "sleuth watch"})
        for t, why in gaps
    ]
    logs = [
        *incident.logs,
        LogExcerpt(
            time=onset,
            level="warning",
            message=f"sleuth watch: anomaly detected on {server} at {_clock(onset)}"
            + ("; resolved" if resolved else "; still open when this file was written"),
        ),
        *(
            LogExcerpt(time=t, level="warning", message=f"monitoring gap before this sample: {why}")
            for t, why in gaps
        ),
    ]
    return incident.model_copy(
        update={
            "id": incident_id(server, onset),
            "title": f"{server}: anomaly from {_clock(onset)} ({info.engine} {info.version} at {info.host})",
            "events": events,
            "logs": logs,
            "source": f"{WATCH_SOURCE}{info.engine}",
        }
    )


def _clock(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))
