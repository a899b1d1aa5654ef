"""Watching one server: sample, look for an onset, follow the incident to its end, say what happened.

One ``ServerWatch`` per server, each on its own thread: a server that stalls
(a slow catalogue, a network blip) delays no other. Everything it does to the
server is the collectors' read-only sampling, each query bounded by the
statement timeout.

A lost connection starts a gap: the watcher reconnects with a growing delay
(1 s doubling to a minute), says once that the server is unreachable, and
when it is back marks the gap on the next sample. The gap is no incident:
rates across it are missing rather than averaged, and onsets are looked for
only after ``settle`` seconds of watching again against samples taken since
the gap (a restarted server's cold caches are its new normal, not an anomaly).

An incident is told when a diagnosis names a cause. One no rule explains is
held back: told once it has lasted a whole ``view`` (what persists is worth a
person even without a name), discarded when it ends sooner with the rules
still naming nothing. Such a blip (a neighbour's burst on the host, a
background task's pass) is over before anyone could act on it, and a watcher
that pages for it is soon ignored. A discarded incident keeps its files, is
said on stdout (``discarded``, never notified) and listed in the state file.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from models import Diagnosis, Incident, TimeWindow
from rules import window
from rules.materiality import service_bar
from sleuth._options import DiagnoseOptions
from sleuth.watch import capture
from sleuth.watch.detector import OnsetWatch, Row, Rows, Voters, abnormal_until, ongoing
from sleuth.watch.events import CauseBrief, WatchEvent
from sleuth.watch.memory import release_freed
from sleuth.watch.ring import Packed, Packer, Ring, Texts, unpack
from sleuth.watch.state import Gap, OpenIncident, Pending
from sleuth.watch.targets import Target
from sources.live.dsn import parse_dsn
from sources.live.errors import CollectError, ConnectionLost
from sources.live.sample import Collector, Sample, ServerInfo
from sources.live.sampler import open_collector
from sources.live.sqltext import dialect_of
from sources.live.workload import plan_candidates, statement_activity, tables_touched

if TYPE_CHECKING:
    from sleuth import Sleuth
    from sleuth.watch.spool import Spool

State = Literal["connecting", "settling", "watching", "incident", "unreachable", "stopped"]
Emit = Callable[[WatchEvent], None]
CollectorFactory = Callable[[Target], Collector]

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
TABLES_EVERY_S = 60.0
# Looks in a row that find the newest samples normal again before an incident is resolved: as many
# as the shortest segment the test weighs, so a few calm seconds inside a noisy anomaly do not end it.
END_QUIET = window.MIN_SEGMENT
SPARK_POINTS = 60
# Metrics drawn on the fleet screen, in order of preference per engine (rates end in ":rate").
SPARK_METRICS = {
    "postgres": ("pg_stat_database.xact_commit:rate", "pg_stat_activity.active", "pg_locks.blocked_sessions"),
    "mysql": ("Questions:rate", "Threads_running", "Innodb_row_lock_current_waits"),
}


@dataclass(frozen=True)
class ServerStatus:
    """What the fleet screen shows of one server, copied out of the watching thread."""

    name: str
    tags: tuple[str, ...]
    state: State
    engine: str = ""
    last_sample: float | None = None
    samples: int = 0
    incident: str | None = None
    onset: float | None = None
    top: str | None = None
    certainty: float | None = None
    path: str | None = None
    message: str = ""
    sparks: dict[str, tuple[float, ...]] = field(default_factory=dict)


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


def open_target(target: Target) -> Collector:
    return open_collector(
        parse_dsn(target.dsn),
        mask_literals=not target.tuning.keep_literals,
        statement_timeout_ms=round(target.tuning.statement_timeout_s * 1000),
    )


class _Incident:
    """The open incident: its samples, its rows for the end test, and when it was last diagnosed."""

    def __init__(self, record: OpenIncident, baseline: list[Packed], baseline_rows: list[Row]) -> None:
        self.record = record
        self.baseline = baseline
        self.baseline_rows = baseline_rows
        self.samples: list[Packed] = []
        self.rows: list[Row] = []
        self.diagnosed_at = 0.0
        self.quiet = 0
        # when the abnormal segment ended, as the first calm look saw it
        self.ended: float | None = None
        self.diagnosis: Diagnosis | None = None
        # the top cause the last diagnosis before the opening named ("" before the first)
        self.pending_top: str | None = ""


class ServerWatch:
    """One server's watch loop; ``run`` until ``stop`` is set."""

    def __init__(
        self,
        target: Target,
        app: Sleuth,
        spool: Spool,
        emit: Emit,
        *,
        collector_factory: CollectorFactory = open_target,
        clock: SystemClock | None = None,
    ) -> None:
        self.target = target
        self.tuning = target.tuning
        self._app = app
        self._spool = spool
        self._emit = emit
        self._factory = collector_factory
        self._clock = clock or SystemClock()
        self._files = spool.state_files(target.name)
        self._state = self._files.load()
        self._lock = threading.Lock()
        self._status = ServerStatus(target.name, target.tags, "connecting")
        self._packer = Packer()
        self._texts = Texts()
        self._ring = Ring(self.tuning.ring_s, self.tuning.interval_s, self.tuning.view_samples)
        self._rows = Rows()
        self._voters = Voters(app.graph.resolve_metric, service_bar(app.book()))
        self._view: deque[Row] = deque(maxlen=self.tuning.view_samples)
        self._onsets = OnsetWatch(self.tuning.confirm, slack_s=5 * self.tuning.interval_s)
        self._sparks: dict[str, deque[float]] = {}
        self._info: ServerInfo | None = None
        self._coll: Collector | None = None
        self._edges = capture.Edges()
        self._tables_at = 0.0
        self._settle_until = 0.0
        self._gap: str | None = None
        self._incident: _Incident | None = None
        self._samples = 0
        self._resolved_end = 0.0
        self._resume()

    # -- what others read ---------------------------------------------------------------------------

    def status(self) -> ServerStatus:
        with self._lock:
            return self._status

    def _set_status(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]

    # -- the loop -----------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        backoff = BACKOFF_FIRST_S
        lost_at: float | None = None
        while not stop.is_set():
            try:
                self._connect()
            except CollectError as exc:
                self._unreachable(exc.message, lost_at)
                if lost_at is None:
                    lost_at = self._clock.time()
                stop.wait(backoff)
                backoff = min(BACKOFF_MAX_S, backoff * 2)
                continue
            backoff = BACKOFF_FIRST_S
            self._reachable(lost_at)
            lost_at = None
            try:
                self._sample_until(stop)
            except ConnectionLost as exc:
                lost_at = self._clock.time()
                self._gap = f"connection lost ({exc.message})"
                self._set_status(state="unreachable", message=exc.message)
            finally:
                self._close()
        self._stopped()

    def _connect(self) -> None:
        coll = self._factory(self.target)
        try:
            info = coll.connect()
            self._edges.settings = coll.settings()
            self._edges.start_tables = coll.table_readings()
        except BaseException:
            coll.close()
            raise
        self._coll, self._info = coll, info
        self._tables_at = self._clock.monotonic()

    def _close(self) -> None:
        if self._coll is not None:
            self._coll.close()
            self._coll = None

    def _sample_until(self, stop: threading.Event) -> None:
        """Sample every interval; a slot the server made late is skipped, never caught up in a burst."""
        assert self._coll is not None
        interval = self.tuning.interval_s
        mono0 = self._clock.monotonic()
        slot = 0
        while not stop.is_set():
            due = mono0 + slot * interval
            delay = due - self._clock.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            if -delay > interval / 2 and slot:
                slot += int(-delay // interval) + 1
                continue
            slot += 1
            now = self._clock.time()
            last = self._ring.last()
            if last is not None and now <= last.time:
                now = last.time + 0.001
            sample = self._coll.sample(now)
            self.observe(sample)
            if self._clock.monotonic() - self._tables_at >= TABLES_EVERY_S and self._incident is None:
                self._edges.start_tables = self._coll.table_readings()
                self._tables_at = self._clock.monotonic()

    def assume(self, info: ServerInfo) -> None:
        """Samples will come through ``observe`` from elsewhere (a replay): the server they describe."""
        self._info = info
        self._set_status(state="incident" if self._incident is not None else "settling", engine=info.engine)

    # -- one sample ----------------------------------------------------------------------------------

    def observe(self, sample: Sample) -> None:
        """Take one sample: keep it, look for an onset or follow the open incident."""
        fresh = [(d, (r.text, r.schema)) for d, r in (sample.statements or {}).items() if r.text is not None]
        self._texts.learn(sample)
        gap, self._gap = self._gap, None
        packed = self._packer.pack(sample, gap)
        self._ring.add(packed)
        row = self._rows.row(packed)
        if gap is not None:
            self._view.clear()
            self._onsets.reset()
            self._settle_until = packed.time + self.tuning.settle_s
        self._samples += 1
        self._spark(row)
        incident = self._incident
        if incident is not None:
            self._follow(incident, packed, row, [(d, (t or "", s)) for d, (t, s) in fresh])
        else:
            self._view.append(row)
            if packed.time >= self._settle_until:
                if self._status.state == "settling":
                    self._set_status(state="watching")
                onset = self._onsets.look(
                    ongoing([r for r in self._view if r.time >= self._settle_until], self._voters)
                )
                if onset is not None:
                    self._open(onset)
        self._set_status(last_sample=packed.time, samples=self._samples)

    def _spark(self, row: Row) -> None:
        engine = self._info.engine if self._info is not None else ""
        wanted = SPARK_METRICS.get("postgres" if engine == "postgres" else "mysql", ())
        index = {n: i for i, n in enumerate(row.names) if n in wanted}
        for name in wanted:
            if name in index:
                value = float(row.values[index[name]])
                self._sparks.setdefault(name, deque(maxlen=SPARK_POINTS)).append(
                    value if value == value else 0.0
                )
        self._set_status(sparks={k: tuple(v) for k, v in self._sparks.items()}, engine=engine)

    # -- an incident ---------------------------------------------------------------------------------

    def _open(self, onset: float) -> None:
        baseline_from = onset - self.tuning.baseline_s
        clean_from = max(self._settle_until, self._resolved_end)
        baseline = [p for p in self._ring.since(max(baseline_from, clean_from)) if p.time < onset]
        baseline_rows = [r for r in self._view if r.time < onset and r.time >= clean_from]
        record = OpenIncident(
            id=capture.incident_id(self.target.name, onset), onset=onset, baseline=len(baseline)
        )
        incident = _Incident(record, baseline, baseline_rows)
        incident.samples = self._ring.since(onset)
        incident.rows = [r for r in self._view if r.time >= onset]
        self._incident = incident
        self._view.clear()
        self._state.open = record
        self._files.start_journal([*baseline, *incident.samples], self._texts)
        self._files.save(self._state)
        self._set_status(state="incident", incident=record.id, onset=onset)
        self._diagnose(incident, final=False)

    def _follow(
        self, incident: _Incident, packed: Packed, row: Row, fresh: list[tuple[str, tuple[str, str | None]]]
    ) -> None:
        incident.samples.append(packed)
        incident.rows.append(row)
        self._files.append(packed, fresh)
        now = packed.time
        long = now - incident.record.onset >= self.tuning.max_incident_s
        until = abnormal_until(incident.baseline_rows, incident.rows, self._voters)
        if until == now and not long:
            incident.quiet = 0
        else:
            if not incident.quiet:
                incident.ended = until
            incident.quiet += 1
        if long or incident.quiet >= END_QUIET:
            self._resolve(incident, capped=long)
        elif now - incident.diagnosed_at >= self.tuning.rediagnose_s or self._confirming(incident, now):
            self._diagnose(incident, final=False)

    def _build(self, incident: _Incident, *, final: bool) -> Incident:
        info = self._info
        assert info is not None
        samples = [*incident.baseline, *incident.samples]
        end = incident.samples[-1].time if incident.samples else incident.record.onset
        if final and incident.quiet:
            # The samples after the anomaly stopped belong to the baseline, not the window: it ends
            # where the abnormal segment did, or before the calm samples when none was left.
            end = (
                incident.ended
                if incident.ended is not None
                else (
                    incident.samples[-1 - incident.quiet].time
                    if len(incident.samples) > incident.quiet
                    else end
                )
            )
        self._read_edges(samples)
        return capture.build(
            server=self.target.name,
            info=info,
            samples=samples,
            texts=self._texts,
            window=TimeWindow(start=incident.record.onset, end=max(end, incident.record.onset)),
            interval_s=self.tuning.interval_s,
            edges=self._edges,
            onset=incident.record.onset,
            resolved=final,
        )

    def _read_edges(self, samples: list[Packed]) -> None:
        """The tables and plans of the heaviest statements, read now (skipped when the server is gone)."""
        coll, info = self._coll, self._info
        if coll is None or info is None:
            return
        dialect = dialect_of(info.engine)
        read = [p for p in samples if p.statements is not None]
        # The first and last readings give each statement's load over the capture: enough to rank them.
        heavy = (
            statement_activity([unpack(p, self._texts) for p in (read[0], read[-1])])
            if len(read) >= 2
            else []
        )
        try:
            self._edges.end_tables = coll.table_readings()
            self._edges.details = coll.table_details(tables_touched(heavy, dialect))
            self._edges.plans = coll.plans(plan_candidates(heavy, dialect))
        except ConnectionLost:
            pass  # the samples are kept; the sections are missing, and the notes say so
        self._edges.notes = coll.notes()

    def _confirming(self, incident: _Incident, now: float) -> bool:
        """Whether the opening still waits for a second diagnosis to agree on the top cause: the first
        reads a few samples of the anomaly, where the CPU a scan burns can show before the scan's
        own counters and statements do. Each new sample is diagnosed until two in a row agree, for
        at most ``rediagnose_s`` after the onset."""
        return not incident.record.opened_sent and now - incident.record.onset < self.tuning.rediagnose_s

    def _lasted(self, incident: _Incident) -> bool:
        """Whether an incident no rule explains has lasted long enough to be told anyway."""
        last = incident.samples[-1].time if incident.samples else incident.record.onset
        return last - incident.record.onset >= self.tuning.view_s

    def _told_open(self, incident: _Incident, diagnosis: Diagnosis, path: str) -> None:
        record = incident.record
        record.opened_sent = True
        record.notified_top = diagnosis.causes[0].cause if diagnosis.causes else None
        self._files.save(self._state)
        self._emit(self._event("opened", incident, diagnosis, path=path))

    def _diagnose(self, incident: _Incident, *, final: bool, planner: bool = True) -> Diagnosis:
        built = self._build(incident, final=final)
        path = self._spool.write_incident(self.target.name, built)
        llm = self.tuning.planner if final and planner else "never"
        try:
            diagnosis = self._app.diagnose(built, DiagnoseOptions(llm=llm))
        except Exception as exc:  # a planner that cannot start must not stop the watch
            if llm == "never":
                raise
            diagnosis = self._app.diagnose(built, DiagnoseOptions(llm="never"))
            diagnosis = diagnosis.model_copy(update={"errors": [*diagnosis.errors, f"planner: {exc}"]})
        del built
        release_freed()
        incident.diagnosis = diagnosis
        incident.diagnosed_at = incident.samples[-1].time if incident.samples else incident.record.onset
        incident.record.path = str(path)
        top = diagnosis.causes[0] if diagnosis.causes else None
        self._set_status(
            top=top.cause if top else None, certainty=top.certainty if top else None, path=str(path)
        )
        if final:
            return diagnosis
        record = incident.record
        if not record.opened_sent:
            current = top.cause if top else None
            agreed = incident.pending_top == current
            incident.pending_top = current
            if top is None and not self._lasted(incident):
                return diagnosis
            if not agreed and incident.diagnosed_at - record.onset < self.tuning.rediagnose_s:
                return diagnosis
            self._told_open(incident, diagnosis, str(path))
        elif (top.cause if top else None) != record.notified_top:
            record.notified_top = top.cause if top else None
            self._files.save(self._state)
            self._emit(self._event("updated", incident, diagnosis, path=str(path)))
        return diagnosis

    def _resolve(self, incident: _Incident, *, capped: bool) -> None:
        record = incident.record
        rules: Diagnosis | None = None
        if not record.opened_sent:
            # Never told: the rules decide whether it is told now or discarded, without the planner
            # (a model asked for the cause of a blip invents one).
            rules = self._diagnose(incident, final=True, planner=False)
            if not rules.causes and not capped:
                self._discard(incident, rules)
                return
            self._told_open(incident, rules, record.path or "")
        if rules is not None and self.tuning.planner == "never":
            diagnosis = rules
        else:
            diagnosis = self._diagnose(incident, final=True)
        path = record.path or ""
        self._spool.write_diagnosis(self.target.name, record.id, diagnosis)
        pending = Pending(
            id=record.id, path=path, diagnosis=str(self._spool.diagnosis_path(self.target.name, record.id))
        )
        self._state.pending.append(pending)
        self._state.open = None
        self._state.resolved.append(record.id)
        self._closed(incident)
        message = "closed at the cap; still abnormal" if capped else ""
        self._emit(self._event("resolved", incident, diagnosis, path=path, message=message))
        self.import_pending()

    def _discard(self, incident: _Incident, diagnosis: Diagnosis) -> None:
        """An incident that ended before it was told, no rule naming a cause: kept on disk (the incident
        file and its diagnosis), listed in the state, said on stdout only, never recorded."""
        record = incident.record
        self._spool.write_diagnosis(self.target.name, record.id, diagnosis)
        self._state.open = None
        self._state.discarded.append(record.id)
        self._closed(incident)
        self._emit(
            self._event(
                "discarded",
                incident,
                diagnosis,
                path=record.path or "",
                message="ended before any rule explained it; not notified",
            )
        )

    def _closed(self, incident: _Incident) -> None:
        """The state saved without the incident, and the watch back to looking for onsets."""
        record = incident.record
        self._files.save(self._state)
        self._files.drop_journal()
        self._incident = None
        self._view.clear()
        self._onsets.reset()
        self._resolved_end = incident.samples[-1].time if incident.samples else record.onset
        # A server recovering from an incident (queued work draining, caches refilling) is not yet
        # the normal the next onset is measured against.
        self._settle_until = self._resolved_end + self.tuning.settle_s
        self._set_status(state="watching", incident=None, onset=None, top=None, certainty=None)

    def import_pending(self) -> None:
        """Record resolved incidents into the history; what cannot be recorded now waits for the next try."""
        if not self._state.pending:
            return
        left = self._spool.record(self._state.pending)
        if len(left) != len(self._state.pending):
            self._state.pending = left
            self._files.save(self._state)
        release_freed()  # recording read the incident file back whole

    def _event(
        self,
        kind: Literal["opened", "updated", "resolved", "discarded"],
        incident: _Incident,
        dx: Diagnosis,
        *,
        path: str,
        message: str = "",
    ) -> WatchEvent:
        top = dx.causes[0] if dx.causes else None
        statement = table = None
        if top is not None:
            for subject in top.subjects:
                if subject.kind == "statement" and statement is None:
                    statement = subject.text or subject.name
                elif subject.kind == "table" and table is None:
                    table = subject.name
        end = incident.samples[-1].time if kind in ("resolved", "discarded") and incident.samples else None
        return WatchEvent(
            kind=kind,
            server=self.target.name,
            tags=list(self.target.tags),
            incident=incident.record.id,
            onset=incident.record.onset,
            end=end,
            causes=[
                CauseBrief(cause=c.cause, certainty=round(c.certainty, 3), title=c.title)
                for c in dx.causes[:3]
            ],
            statement=statement,
            table=table,
            path=path,
            message=message or ("" if dx.causes else "no rule explains it"),
        )

    # -- reachability --------------------------------------------------------------------------------

    def _unreachable(self, message: str, lost_at: float | None) -> None:
        self._set_status(state="unreachable", message=message)
        if not self._state.unreachable_reported:
            self._state.unreachable_reported = True
            self._files.save(self._state)
            self._emit(
                WatchEvent(
                    kind="unreachable", server=self.target.name, tags=list(self.target.tags), message=message
                )
            )

    def _reachable(self, lost_at: float | None) -> None:
        was_reported = self._state.unreachable_reported
        self._state.unreachable_reported = False
        info = self._info
        where = f"{info.engine} {info.version} at {info.host}" if info is not None else ""
        kind: Literal["connected", "reconnected"] = "connected"
        if lost_at is not None:
            now = self._clock.time()
            why = self._gap or "server unreachable"
            self._gap = f"{why}; not watched for {now - lost_at:.1f} s"
            self._state.gaps.append(Gap(start=lost_at, end=now, reason=why))
            where = f"{where}; gap of {now - lost_at:.1f} s ({why})"
            kind = "reconnected"
        elif was_reported:
            kind = "reconnected"
        if lost_at is not None or was_reported:
            self._files.save(self._state)
        state: State = "incident" if self._incident is not None else "settling"
        self._set_status(state=state, message="")
        self._emit(WatchEvent(kind=kind, server=self.target.name, tags=list(self.target.tags), message=where))
        if self._incident is None:
            self.import_pending()

    def _stopped(self) -> None:
        self._set_status(state="stopped")
        self._emit(WatchEvent(kind="stopped", server=self.target.name, tags=list(self.target.tags)))

    # -- after a crash -------------------------------------------------------------------------------

    def _resume(self) -> None:
        """Pick up the incident a killed watcher left open: its samples from the journal, its notices
        from the state, so it is neither opened nor notified again."""
        record = self._state.open
        if record is None:
            return
        journal = self._files.read_journal()
        if journal is None or not journal.samples:
            self._state.open = None
            self._files.save(self._state)
            return
        self._texts.restore(journal.texts.items())
        rows = Rows()
        all_rows = [rows.row(p) for p in journal.samples]
        baseline = journal.samples[: record.baseline]
        incident = _Incident(record, baseline, all_rows[: record.baseline])
        incident.samples = journal.samples[record.baseline :]
        incident.rows = all_rows[record.baseline :]
        self._incident = incident
        self._gap = "the watcher restarted"
        self._status = replace(
            self._status, state="incident", incident=record.id, onset=record.onset, path=record.path
        )
