from __future__ import annotations

from pathlib import Path

import pytest

from sleuth.history import cache
from sleuth.history.desk import History
from sleuth.history.store import Store
from tests.history.support import new_record, sqlite_url

QUERY = {"latency": 1.5, "row_lock_waits": 2.0}


@pytest.fixture(autouse=True)
def small_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "WORTH_SAVING", 2)


def history(url: str) -> History:
    return History(url, lambda path: pytest.fail(f"no incident is read: {path}"))


def confirmed_history(tmp_path: Path, records: int = 3) -> tuple[str, Store]:
    url = sqlite_url(tmp_path)
    store = Store(url)
    store.add_many([new_record("a", n) for n in range(records)])
    for n in range(1, records + 1):
        store.set_verdicts(n, ["lock_contention"], "confirmed", "", 1.0)
    return url, store


def test_a_new_process_starts_from_the_cache_and_reads_only_what_changed(tmp_path: Path) -> None:
    url, store = confirmed_history(tmp_path)
    first = history(url)
    assert [m.record for m in first.past().search(QUERY, "mysql", 5)] == [1, 2, 3]
    saved = cache.path_for(url, store.instance())
    assert saved.is_file()
    store.add(new_record("b", 0))
    store.set_verdicts(4, ["cpu_saturation"], "confirmed", "later", 2.0)
    store.set_verdicts(1, ["lock_contention"], "rejected", "", 3.0)
    loaded = cache.load(saved, store.instance())
    assert loaded is not None and loaded[1] == 4 and 1 in loaded[0]
    second = history(url)
    found = second.past().search(QUERY, "mysql", 5)
    assert [(m.record, m.causes, m.note) for m in found] == [
        (4, ["cpu_saturation"], "later"),
        (2, ["lock_contention"], ""),
        (3, ["lock_contention"], ""),
    ]


def test_a_cache_of_another_database_or_an_unreadable_one_is_ignored(tmp_path: Path) -> None:
    url, store = confirmed_history(tmp_path / "one")
    history(url).past()
    saved = cache.path_for(url, store.instance())
    assert cache.load(saved, "another database") is None
    saved.write_bytes(b"not a cache")
    assert cache.load(saved, store.instance()) is None
    assert [m.record for m in history(url).past().search(QUERY, "mysql", 5)] == [1, 2, 3]
