from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from sleuth import UsageError
from sleuth.history.location import default_path
from sleuth.history.store import Store
from tests.history.support import CPU, LOCK, SPIKE, new_record, service, sqlite_url


def test_a_recorded_diagnosis_keeps_the_file_digest_causes_rules_version_and_signature(
    tmp_path: Path,
) -> None:
    app = service(sqlite_url(tmp_path))
    dx = app.diagnose_file(LOCK)
    entry = app.record(dx, path=LOCK)
    assert (entry.id, entry.incident_id, entry.engine, entry.source) == (1, dx.incident, "mysql", "cli")
    assert entry.path == str(LOCK.resolve())
    assert entry.digest == hashlib.sha256(LOCK.read_bytes()).hexdigest()
    assert entry.has_incident is False
    assert [c.cause for c in entry.causes] == [c.cause for c in dx.causes]
    assert entry.rulebook == app.record(dx, path=LOCK).rulebook != "none"
    assert entry.signature and all(abs(v) >= 0.69 for v in entry.signature.values())
    assert dx.window is not None and entry.window == (dx.window.start, dx.window.end)


def test_an_incident_without_a_file_is_kept_in_the_history(tmp_path: Path) -> None:
    app = service(sqlite_url(tmp_path))
    incident = app.load_incident(CPU)
    entry = app.record(app.diagnose(incident), incident, source="tui")
    assert (entry.path, entry.has_incident, entry.source) == (None, True, "tui")
    app.confirm(str(entry.id), ["cpu_saturation"])
    examples, skipped = app.history.examples()
    assert skipped == []
    assert [(e.incident, e.causes, e.path, e.origin) for e in examples] == [
        (incident, ("cpu_saturation",), None, f"history #{entry.id}")
    ]


def test_verdicts_by_record_number_file_and_incident_id(tmp_path: Path) -> None:
    app = service(sqlite_url(tmp_path))
    first = app.record(app.diagnose_file(LOCK), path=LOCK)
    second = app.record(app.diagnose_file(CPU), path=CPU)
    assert app.confirm(f"#{first.id}", ["lock_contention"], "a scan held row locks").confirmed == (
        "lock_contention",
    )
    assert app.confirm(str(CPU), ["cpu_saturation"]).id == second.id
    judged = app.reject(second.incident_id, "io_saturation", "disks were idle")
    assert (judged.id, judged.confirmed, judged.rejected) == (
        second.id,
        ("cpu_saturation",),
        ("io_saturation",),
    )
    assert judged.note == "disks were idle"
    # a later verdict on the same cause replaces the earlier one
    again = app.reject(str(first.id), "lock_contention", "no: a backup")
    assert (again.confirmed, again.rejected, again.note) == ((), ("lock_contention",), "no: a backup")


def test_confirming_a_file_never_recorded_diagnoses_and_records_it_first(tmp_path: Path) -> None:
    app = service(sqlite_url(tmp_path))
    entry = app.confirm(str(SPIKE), ["workload_spike"], "a batch job")
    assert (entry.id, entry.confirmed, entry.path) == (1, ("workload_spike",), str(SPIKE.resolve()))
    assert entry.causes  # the rules' diagnosis was recorded with it


def test_a_cause_the_graph_does_not_know_is_refused_with_close_matches(tmp_path: Path) -> None:
    app = service(sqlite_url(tmp_path))
    app.record(app.diagnose_file(LOCK), path=LOCK)
    with pytest.raises(UsageError, match=r"unknown cause 'lock_contension'.*did you mean lock_contention"):
        app.confirm("1", ["lock_contension"])
    assert app.history.entries()[0].verdicts == ()


def test_an_unknown_record_is_a_usage_error(tmp_path: Path) -> None:
    app = service(sqlite_url(tmp_path))
    app.record(app.diagnose_file(LOCK), path=LOCK)
    with pytest.raises(UsageError, match=r"^#7: not in the history"):
        app.confirm("#7", ["lock_contention"])


def test_listing_is_newest_first_pages_back_and_filters_on_verdicts(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path))
    ids = store.add_many([new_record("a", n) for n in range(5)])
    assert ids == [1, 2, 3, 4, 5]
    store.set_verdicts(2, ["lock_contention"], "confirmed", "", 1.0)
    assert [e.id for e in store.entries(limit=3)] == [5, 4, 3]
    assert [e.id for e in store.entries(limit=3, before=3)] == [2, 1]
    assert [e.id for e in store.entries(confirmed=True)] == [2]
    assert [e.id for e in store.entries(confirmed=False)] == [5, 4, 3, 1]
    assert [e.id for e in store.entries(incident_id="a-3")] == [4]
    assert [e.id for e in store.export(batch=2)] == [1, 2, 3, 4, 5]
    assert next(store.export()).signature == {"latency": 1.5, "row_lock_waits": 2.0}


def test_every_write_is_numbered_and_a_reader_asks_what_changed(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path))
    assert store.revision() == 0
    store.add_many([new_record("a", 0), new_record("a", 1)])
    store.add(new_record("a", 2))
    assert store.revision() == 2
    store.set_verdicts(1, ["lock_contention"], "confirmed", "note", 5.0)
    confirmed, others, now = store.changes(0)
    assert (confirmed, sorted(others), now) == (
        [(1, "mysql", {"latency": 1.5, "row_lock_waits": 2.0})],
        [2, 3],
        3,
    )
    details = store.confirmed([1, 2])
    assert (details[1].causes, details[1].note, details[1].incident_id) == (
        ("lock_contention",),
        "note",
        "a-0",
    )
    assert details[2].causes == ()
    store.set_verdicts(1, ["lock_contention"], "rejected", "", 6.0)
    assert store.changes(3) == ([], [1], 4)
    assert store.changes(4) == ([], [], 4)


def test_similar_confirmed_incidents_come_with_every_diagnosis(tmp_path: Path) -> None:
    app = service(sqlite_url(tmp_path))
    lock = app.record(app.diagnose_file(LOCK), path=LOCK)
    app.record(app.diagnose_file(CPU), path=CPU)
    assert app.diagnose_file(LOCK).similar == []  # nothing confirmed yet
    app.confirm(str(lock.id), ["lock_contention"], "a scan held row locks")
    found = app.diagnose_file(LOCK).similar
    assert [(s.record, s.causes, s.note, s.similarity) for s in found] == [
        (lock.id, ["lock_contention"], "a scan held row locks", 1.0)
    ]


def test_reading_a_history_that_is_not_there_creates_nothing(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    app = service(url)
    assert app.history.entries() == []
    assert app.history.resolve("1") is None
    assert app.diagnose_file(LOCK).similar == []
    assert not (tmp_path / "history.sqlite").exists()
    assert default_path().name == "history.sqlite"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    Store(sqlite_url(tmp_path)).add(new_record("a", 0))
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("PRAGMA foreign_keys=ON")
            db.execute(
                "INSERT INTO verdicts (diagnosis_id, cause, verdict, note, decided_at) "
                "VALUES (99, 'x', 'confirmed', '', 0)"
            )


def test_forked_workers_read_the_history_and_the_parent_records(tmp_path: Path) -> None:
    app = service(sqlite_url(tmp_path))
    app.confirm(str(LOCK), ["lock_contention"])
    outcomes = list(app.diagnose_files([LOCK, CPU], jobs=2))
    assert [o.error for o in outcomes] == [None, None]
    assert [[s.record for s in o.diagnosis.similar] for o in outcomes if o.diagnosis] == [[1], []]
    for outcome in outcomes:
        assert outcome.diagnosis is not None
        app.record(outcome.diagnosis, path=outcome.path)
    assert [e.id for e in app.history.entries()] == [3, 2, 1]
