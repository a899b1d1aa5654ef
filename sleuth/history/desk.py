"""The history's use cases, as the service offers them: record, judge, list, retrieve, learn from.

The database is opened (and migrated) on first use, once per process, like
the rule book and the graph; a diagnosis that is not recorded never creates
it, and retrieval reads only a history that is already there. The confirmed
signatures are cached in memory (and on disk, ``cache``) and refreshed by
revision, so a search costs one small query to learn nothing changed, then a
few vector additions.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from models import Diagnosis, Incident, TimeWindow
from rules.learn import Example
from sleuth.history import cache
from sleuth.history.errors import HistoryError
from sleuth.history.location import default_url, exists
from sleuth.history.records import HistoryEntry, NewRecord, RecordedCause, VerdictKind
from sleuth.history.signature import signature
from sleuth.history.similar import PastIncidents
from sleuth.history.store import Store

IncidentLoader = Callable[[Path], Incident]


class History:
    """One history database and the use cases over it; ``url`` ``None`` is the default SQLite file."""

    def __init__(self, url: str | None, load_incident: IncidentLoader) -> None:
        self.url = url or default_url()
        self._load_incident = load_incident
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._pid = 0
        self._past = PastIncidents(details=lambda records: self.store.confirmed(records))
        self._seen = 0
        self._instance: str | None = None

    @property
    def store(self) -> Store:
        """The database, opened on first use; a forked worker opens its own rather than share the parent's."""
        with self._lock:
            if self._store is not None and self._pid != os.getpid():
                self._store.forget()
                self._store = None
            if self._store is None:
                self._store = Store(self.url)
                self._pid = os.getpid()
            return self._store

    def available(self) -> bool:
        """Whether there is a history to read (recording creates one; reading never does)."""
        return self._store is not None or exists(self.url)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # -- recording and verdicts -----------------------------------------------------------------------

    def record(
        self,
        diagnosis: Diagnosis,
        incident: Incident,
        *,
        path: Path | None = None,
        source: str = "cli",
        rulebook: str = "",
    ) -> HistoryEntry:
        """Store a diagnosis: the incident's path and digest when it has a file, else the incident itself."""
        kept = None if path is not None else incident.model_dump_json()
        digest = file_digest(path) if path is not None else text_digest(kept or "")
        window = (diagnosis.window.start, diagnosis.window.end) if diagnosis.window else None
        new = NewRecord(
            incident_id=diagnosis.incident,
            title=diagnosis.title,
            engine=incident.instance.engine,
            source=source,
            path=str(path.resolve()) if path is not None else None,
            digest=digest,
            incident=kept,
            diagnosis_path=diagnosis.path,
            causes=tuple(RecordedCause(c.cause, c.certainty, c.source) for c in diagnosis.causes),
            rulebook=rulebook,
            signature=signature(diagnosis.signals),
            window=window,
            window_inferred=diagnosis.window_inferred,
            recorded_at=time.time(),
        )
        return self._entry(self.store.add(new))

    def judge(self, ref: str, causes: Sequence[str], verdict: VerdictKind, note: str = "") -> HistoryEntry:
        entry = self.resolve(ref)
        if entry is None:
            raise HistoryError(f"{ref}: not in the history (record it with `sleuth diagnose --record`)")
        self.store.set_verdicts(entry.id, list(dict.fromkeys(causes)), verdict, note, time.time())
        return self._entry(entry.id)

    def resolve(self, ref: str) -> HistoryEntry | None:
        """A record by number (``12`` or ``#12``), by incident file (its digest), or by incident id."""
        if not self.available():
            return None
        text = ref.strip()
        number = text.removeprefix("#")
        if number.isdigit():
            return self.store.get(int(number))
        path = Path(text).expanduser()
        if path.is_file():
            return self.store.latest(digest=file_digest(path))
        return self.store.latest(incident_id=text)

    # -- reading --------------------------------------------------------------------------------------

    def entries(
        self,
        *,
        limit: int = 50,
        before: int | None = None,
        incident_id: str | None = None,
        engine: str | None = None,
        confirmed: bool | None = None,
    ) -> list[HistoryEntry]:
        if not self.available():
            return []
        return self.store.entries(
            limit=limit, before=before, incident_id=incident_id, engine=engine, confirmed=confirmed
        )

    def export(self) -> Iterator[HistoryEntry]:
        if self.available():
            yield from self.store.export()

    def past(self) -> PastIncidents:
        """The confirmed incidents, brought up to date with the database (an empty set without one).

        The first call in a process starts from the index cached on disk (``cache``), when there
        is one for this database, and reads only what changed since.
        """
        with self._lock:
            if not self.available():
                return self._past
            store = self.store
            if self._instance is None:
                self._instance = store.instance()
                found = cache.load(cache.path_for(self.url, self._instance), self._instance)
                if found is not None and found[1] <= store.revision():
                    self._past.signatures, self._seen = found
            rows, gone, revision = store.changes(self._seen)
            if rows or gone:
                self._past.index(rows, gone)
            if len(rows) + len(gone) >= cache.WORTH_SAVING:
                cache.save(
                    cache.path_for(self.url, self._instance), self._instance, revision, self._past.signatures
                )
            self._seen = revision
            return self._past

    def examples(self) -> tuple[list[Example], list[str]]:
        """The confirmed incidents to learn from (one per incident file or stored incident), and what was skipped."""
        latest: dict[str, HistoryEntry] = {}
        for entry in self.export():
            if entry.confirmed:
                latest[entry.digest] = entry
        examples: list[Example] = []
        skipped: list[str] = []
        for entry in sorted(latest.values(), key=lambda e: e.id):
            try:
                incident, path = self._incident_of(entry)
            except HistoryError as exc:
                skipped.append(str(exc))
                continue
            window = None
            if entry.window is not None and incident.window is None:
                window = TimeWindow(start=entry.window[0], end=entry.window[1])
            examples.append(Example(incident, entry.confirmed, path, window, origin=f"history #{entry.id}"))
        return examples, skipped

    def _incident_of(self, entry: HistoryEntry) -> tuple[Incident, Path | None]:
        if entry.has_incident:
            kept = self.store.incident_json(entry.id)
            if kept is not None:
                return Incident.model_validate_json(kept), None
        if entry.path is None:
            raise HistoryError(f"history #{entry.id}: neither the incident nor its file was kept")
        path = Path(entry.path)
        if not path.is_file():
            raise HistoryError(f"history #{entry.id}: {path}: no such file")
        if file_digest(path) != entry.digest:
            raise HistoryError(f"history #{entry.id}: {path} changed since it was recorded")
        return self._load_incident(path), path

    def _entry(self, record: int) -> HistoryEntry:
        entry = self.store.get(record)
        if entry is None:
            raise HistoryError(f"no history record #{record}")
        return entry


def rulebook_version(files: Sequence[Path]) -> str:
    """A digest of the rule files' names and bytes: the same rules give the same version on any run."""
    if not files:
        return "none"
    sha = hashlib.sha256()
    for path in sorted(files):
        sha.update(path.name.encode("utf-8") + b"\0")
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
