"""The history database behind SQLAlchemy Core: every write one transaction, every change numbered.

Each write bumps the database's revision counter inside its own transaction
and stamps the rows it changed, so concurrent writers are ordered by the
database itself (SQLite's write lock, PostgreSQL's row lock on the counter)
and a reader's cache can ask "what changed since revision N" cheaply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Row, delete, exists, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from sleuth.history.connect import WRITE, open_engine, redacted
from sleuth.history.errors import HistoryError
from sleuth.history.migrate import upgrade
from sleuth.history.records import (
    Confirmed,
    HistoryEntry,
    NewRecord,
    RecordedCause,
    Verdict,
    VerdictKind,
)
from sleuth.history.tables import diagnoses, state, verdicts

# What a listing reads: everything but the two large columns, and whether the incident is kept.
_LISTED: list[Any] = [c for c in diagnoses.c if c.name not in ("incident", "signature")] + [
    diagnoses.c.incident.is_not(None).label("has_incident")
]
_FULL: list[Any] = [*_LISTED, diagnoses.c.signature]
Indexed = tuple[int, str, dict[str, float]]
"""(record, engine, signature): what the similar-incident index holds of a confirmed record."""


class Store:
    """One history database; opening it migrates it to the newest revision (or refuses, saying why)."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._engine: Engine = open_engine(url)
            upgrade(self._engine)
        except OperationalError as exc:
            raise HistoryError(f"{redacted(url)}: {_first_line(exc)}") from None

    def close(self) -> None:
        self._engine.dispose()

    def forget(self) -> None:
        """Drop the connections inherited from a parent process without closing them under its feet."""
        self._engine.dispose(close=False)

    # -- writes ---------------------------------------------------------------------------------

    def add(self, record: NewRecord) -> int:
        return self.add_many([record])[0]

    def add_many(self, records: Sequence[NewRecord]) -> list[int]:
        """Record diagnoses in one transaction; their ids, in order."""
        ids: list[int] = []
        with self._writing() as connection:
            revision = _bump(connection)
            for record in records:
                result = connection.execute(insert(diagnoses).values(**_row(record, revision)))
                key = result.inserted_primary_key
                assert key is not None, "an insert returns its key"
                ids.append(int(key[0]))
        return ids

    def set_verdicts(
        self, record: int, causes: Sequence[str], verdict: VerdictKind, note: str, at: float
    ) -> None:
        """The DBA's verdict on ``causes`` of ``record``, replacing any earlier one on the same causes."""
        with self._writing() as connection:
            if connection.execute(select(diagnoses.c.id).where(diagnoses.c.id == record)).first() is None:
                raise HistoryError(f"no history record #{record}")
            revision = _bump(connection)
            connection.execute(
                delete(verdicts).where(verdicts.c.diagnosis_id == record, verdicts.c.cause.in_(list(causes)))
            )
            connection.execute(
                insert(verdicts),
                [
                    {"diagnosis_id": record, "cause": c, "verdict": verdict, "note": note, "decided_at": at}
                    for c in causes
                ],
            )
            connection.execute(update(diagnoses).where(diagnoses.c.id == record).values(revision=revision))

    # -- reads ----------------------------------------------------------------------------------

    def get(self, record: int) -> HistoryEntry | None:
        found = self._entries(select(*_FULL).where(diagnoses.c.id == record))
        return found[0] if found else None

    def latest(self, *, incident_id: str | None = None, digest: str | None = None) -> HistoryEntry | None:
        """The most recent record of an incident (by id) or of an incident file (by digest)."""
        query = select(*_FULL).order_by(diagnoses.c.id.desc()).limit(1)
        if incident_id is not None:
            query = query.where(diagnoses.c.incident_id == incident_id)
        if digest is not None:
            query = query.where(diagnoses.c.digest == digest)
        found = self._entries(query)
        return found[0] if found else None

    def entries(
        self,
        *,
        limit: int = 50,
        before: int | None = None,
        incident_id: str | None = None,
        engine: str | None = None,
        confirmed: bool | None = None,
    ) -> list[HistoryEntry]:
        """Newest first; ``before`` pages back from a record id."""
        query = select(*_LISTED).order_by(diagnoses.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(diagnoses.c.id < before)
        if incident_id is not None:
            query = query.where(diagnoses.c.incident_id == incident_id)
        if engine is not None:
            query = query.where(diagnoses.c.engine == engine)
        if confirmed is not None:
            has = _has_confirmed()
            query = query.where(has if confirmed else ~has)
        return self._entries(query)

    def export(self, batch: int = 500) -> Iterator[HistoryEntry]:
        """Every record, oldest first, with its signature."""
        last = 0
        while True:
            page = self._entries(
                select(*_FULL).where(diagnoses.c.id > last).order_by(diagnoses.c.id).limit(batch)
            )
            if not page:
                return
            yield from page
            last = page[-1].id

    def incident_json(self, record: int) -> str | None:
        with self._reading() as connection:
            value = connection.execute(select(diagnoses.c.incident).where(diagnoses.c.id == record)).scalar()
        return str(value) if value is not None else None

    def instance(self) -> str:
        """The database's own identity (made when it was created), which a cache of it must match."""
        with self._reading() as connection:
            return str(connection.execute(select(state.c.instance).where(state.c.id == 1)).scalar_one())

    def revision(self) -> int:
        with self._reading() as connection:
            return int(connection.execute(select(state.c.revision).where(state.c.id == 1)).scalar_one())

    def changes(self, since: int) -> tuple[list[Indexed], list[int], int]:
        """Records changed after revision ``since``: (id, engine, signature) of those now confirmed,
        the others' ids, and the revision now. Only what the index needs is read (the rest of a
        match is read when it is shown), so a first load of a large history stays cheap."""
        changed = diagnoses.c.revision > since
        with self._reading() as connection:
            now = int(connection.execute(select(state.c.revision).where(state.c.id == 1)).scalar_one())
            if now <= since:
                return [], [], now
            rows = connection.execute(
                select(diagnoses.c.id, diagnoses.c.engine, diagnoses.c.signature).where(
                    changed, _has_confirmed()
                )
            ).all()
            others = [
                int(i)
                for i in connection.execute(
                    select(diagnoses.c.id).where(changed, ~_has_confirmed())
                ).scalars()
            ]
        return [(int(i), str(e), _json(sig)) for i, e, sig in rows], others, now

    def confirmed(self, records: Sequence[int]) -> dict[int, Confirmed]:
        """The confirmed causes, notes and origin of some records (the matches of a search)."""
        if not records:
            return {}
        with self._reading() as connection:
            rows = connection.execute(
                select(
                    diagnoses.c.id,
                    diagnoses.c.engine,
                    diagnoses.c.incident_id,
                    diagnoses.c.recorded_at,
                    diagnoses.c.path,
                ).where(diagnoses.c.id.in_(list(records)))
            ).all()
            said = _verdicts(connection, [int(r.id) for r in rows])
        out: dict[int, Confirmed] = {}
        for row in rows:
            judged = said.get(int(row.id), ())
            out[int(row.id)] = Confirmed(
                id=int(row.id),
                engine=str(row.engine),
                incident_id=str(row.incident_id),
                signature={},
                causes=tuple(v.cause for v in judged if v.verdict == "confirmed"),
                note="; ".join(v.note for v in judged if v.note),
                recorded_at=float(row.recorded_at),
                path=row.path,
            )
        return out

    # -- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection:
                connection.execution_options(**{WRITE: True})
                with connection.begin():
                    yield connection
        except OperationalError as exc:
            raise HistoryError(f"{redacted(self.url)}: {_first_line(exc)}") from None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection, connection.begin():
                yield connection
        except OperationalError as exc:
            raise HistoryError(f"{redacted(self.url)}: {_first_line(exc)}") from None

    def _entries(self, query: Any) -> list[HistoryEntry]:
        with self._reading() as connection:
            rows = connection.execute(query).all()
            said = _verdicts(connection, [int(r.id) for r in rows]) if rows else {}
        return [_entry(row, said.get(int(row.id), ())) for row in rows]


def _has_confirmed() -> Any:
    return exists().where(verdicts.c.diagnosis_id == diagnoses.c.id, verdicts.c.verdict == "confirmed")


def _bump(connection: Connection) -> int:
    revision = connection.execute(
        update(state).where(state.c.id == 1).values(revision=state.c.revision + 1).returning(state.c.revision)
    ).scalar_one()
    return int(revision)


def _row(record: NewRecord, revision: int) -> dict[str, Any]:
    return {
        "recorded_at": record.recorded_at,
        "incident_id": record.incident_id,
        "title": record.title,
        "engine": record.engine,
        "source": record.source,
        "path": record.path,
        "digest": record.digest,
        "incident": record.incident,
        "diagnosis_path": record.diagnosis_path,
        "top_cause": record.causes[0].cause if record.causes else None,
        "causes": [{"cause": c.cause, "certainty": c.certainty, "source": c.source} for c in record.causes],
        "rulebook": record.rulebook,
        "signature": dict(record.signature),
        "window_start": record.window[0] if record.window else None,
        "window_end": record.window[1] if record.window else None,
        "window_inferred": record.window_inferred,
        "revision": revision,
    }


def _verdicts(connection: Connection, ids: Iterable[int]) -> dict[int, tuple[Verdict, ...]]:
    found: dict[int, list[Verdict]] = {}
    rows = connection.execute(
        select(verdicts).where(verdicts.c.diagnosis_id.in_(list(ids))).order_by(verdicts.c.id)
    ).all()
    for row in rows:
        found.setdefault(int(row.diagnosis_id), []).append(
            Verdict(str(row.cause), row.verdict, str(row.note or ""), float(row.decided_at))
        )
    return {k: tuple(v) for k, v in found.items()}


def _entry(row: Row[Any], said: tuple[Verdict, ...]) -> HistoryEntry:
    mapping = row._mapping
    window = None
    if mapping["window_start"] is not None and mapping["window_end"] is not None:
        window = (float(mapping["window_start"]), float(mapping["window_end"]))
    causes = tuple(
        RecordedCause(str(c["cause"]), float(c["certainty"]), str(c.get("source", "rules")))
        for c in _json_list(mapping["causes"])
    )
    return HistoryEntry(
        id=int(mapping["id"]),
        recorded_at=float(mapping["recorded_at"]),
        incident_id=str(mapping["incident_id"]),
        title=str(mapping["title"] or ""),
        engine=str(mapping["engine"]),
        source=str(mapping["source"]),
        path=mapping["path"],
        digest=str(mapping["digest"]),
        diagnosis_path=str(mapping["diagnosis_path"]),
        causes=causes,
        rulebook=str(mapping["rulebook"]),
        window=window,
        window_inferred=bool(mapping["window_inferred"]),
        verdicts=said,
        has_incident=bool(mapping["has_incident"]),
        signature=_json(mapping["signature"]) if "signature" in mapping else {},
    )


def _json(value: Any) -> dict[str, float]:
    """A signature as stored (the JSON type decodes it; a driver that does not hands over text)."""
    data = json.loads(value) if isinstance(value, str) else value
    return dict(data or {})


def _json_list(value: Any) -> list[dict[str, Any]]:
    data = json.loads(value) if isinstance(value, str) else value
    return list(data or [])


def _first_line(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
