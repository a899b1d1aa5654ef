"""Confirmed past incidents, searchable by signature: what a diagnosis shows and the planner may cite.

On the DBSherlock cases the nearest incident of the same cause has a cosine of
0.70 or more, the nearest of another cause 0.69 at most (median 0.43): a match
under one half is more unlike than alike and is not shown.

Only incidents with a confirmed cause are indexed: an unconfirmed diagnosis
is the system's guess, and retrieving it would only echo the guess back. A
search never touches the database, so an instance can be handed to forked
workers and to the planner's tools as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from models import Fact, SimilarIncident
from sleuth.history.index import SignatureIndex
from sleuth.history.records import Confirmed
from sleuth.history.signature import signature

# Below this cosine two incidents are more unlike than alike: showing them would be noise.
MIN_SIMILARITY = 0.5


Details = Callable[[Sequence[int]], Mapping[int, Confirmed]]


class PastIncidents:
    """The index of confirmed signatures, and where to read the rest of a match.

    Built from ``Confirmed`` records it keeps them; built over a database
    (``details``) it holds only the signatures and reads a match's causes and
    notes when a search returns it.
    """

    def __init__(self, confirmed: Iterable[Confirmed] = (), details: Details | None = None) -> None:
        self._index = SignatureIndex()
        self._kept: dict[int, Confirmed] = {}
        self._details = details
        self.update(confirmed, ())

    def __len__(self) -> int:
        return len(self._index)

    def update(self, confirmed: Iterable[Confirmed], gone: Iterable[int]) -> None:
        """Add or replace confirmed records; forget ``gone`` ones (no longer confirmed)."""
        kept = [record for record in confirmed if record.causes]
        self._kept.update((r.id, r) for r in kept)
        self.index([(r.id, r.engine, r.signature) for r in kept], gone)

    def index(self, rows: Sequence[tuple[int, str, dict[str, float]]], gone: Iterable[int]) -> None:
        """Add or replace (record, engine, signature) rows whose details ``details`` reads."""
        for number in gone:
            self._index.remove(number)
            self._kept.pop(number, None)
        self._index.add_many(rows)

    @property
    def signatures(self) -> SignatureIndex:
        return self._index

    @signatures.setter
    def signatures(self, index: SignatureIndex) -> None:
        self._index = index

    def search(
        self, sig: dict[str, float], engine: str, k: int, exclude: Iterable[int] = ()
    ) -> list[SimilarIncident]:
        found = [(r, s) for r, s in self._index.search(sig, engine, k, exclude) if s >= MIN_SIMILARITY]
        missing = [r for r, _ in found if r not in self._kept]
        details = dict(self._details(missing)) if missing and self._details is not None else {}
        out = []
        for record, similarity in found:
            match = self._kept.get(record) or details.get(record)
            if match is not None and match.causes:
                out.append(_view(match, similarity))
        return out

    def similar(
        self, signals: Sequence[Fact], engine: str, k: int, exclude: Iterable[int] = ()
    ) -> list[SimilarIncident]:
        """The ``k`` confirmed incidents of ``engine`` most like the one these signal facts describe."""
        return self.search(signature(signals), engine, k, exclude)


def _view(found: Confirmed, similarity: float) -> SimilarIncident:
    return SimilarIncident(
        record=found.id,
        incident=found.incident_id,
        similarity=max(-1.0, min(1.0, similarity)),
        causes=list(found.causes),
        note=found.note,
        recorded_at=found.recorded_at,
    )


class Excluding:
    """Past incidents without some records: leave-one-out evaluation hides the incident being diagnosed."""

    def __init__(self, past: PastIncidents, hidden: Iterable[int]) -> None:
        self._past = past
        self._hidden = tuple(hidden)

    def similar(self, signals: Sequence[Fact], engine: str, k: int) -> list[SimilarIncident]:
        return self._past.similar(signals, engine, k, exclude=self._hidden)
