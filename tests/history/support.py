"""What the history tests share: a real incident file, a service on a fresh history, and a writer
process for the concurrency tests (``python -m tests.history.support URL COUNT TAG``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from sleuth import Sleuth, load_settings
from sleuth.history.records import NewRecord, RecordedCause
from sleuth.history.store import Store

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "rules" / "packs" / "cases"
LOCK = CASES / "dbsherlock_lock_contention.json"
CPU = CASES / "dbsherlock_cpu_saturation.json"
SPIKE = CASES / "dbsherlock_workload_spike.json"
WRITER_TIMEOUT_S = 120


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'history.sqlite'}"


def service(url: str) -> Sleuth:
    return Sleuth(load_settings(history={"url": url}))


def new_record(tag: str, n: int) -> NewRecord:
    return NewRecord(
        incident_id=f"{tag}-{n}",
        title="",
        engine="mysql",
        source="api",
        path=None,
        digest=f"{tag}{n:08d}".ljust(64, "0"),
        incident=None,
        diagnosis_path="rules",
        causes=(RecordedCause("lock_contention", 0.8),),
        rulebook="test",
        signature={"latency": 1.5, "row_lock_waits": 2.0 + n % 7},
        window=(10.0, 20.0),
        window_inferred=False,
        recorded_at=time.time(),
    )


def write(url: str, count: int, tag: str) -> None:
    """Record ``count`` diagnoses one transaction each, printing each id once it is committed."""
    store = Store(url)
    for n in range(count):
        print(store.add(new_record(tag, n)), flush=True)
    store.close()


def writer(url: str, count: int, tag: str) -> subprocess.Popen[str]:
    """A separate process recording ``count`` diagnoses, printing each id as it commits."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.history.support", url, str(count), tag],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def two_writers_lose_nothing(url: str, count: int = 60) -> None:
    Store(url).close()  # migrated once, so both writers start on the same schema
    first, second = writer(url, count, "a"), writer(url, count, "b")
    outputs = [p.communicate(timeout=WRITER_TIMEOUT_S) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [err for _, err in outputs]
    ids = [int(line) for out, _ in outputs for line in out.split()]
    store = Store(url)
    stored = list(store.export())
    assert sorted(ids) == [e.id for e in stored] and len(ids) == 2 * count
    assert sorted(e.incident_id for e in stored) == sorted(f"{t}-{n}" for t in "ab" for n in range(count))
    assert store.revision() == 2 * count
    store.close()


def killed_writer_loses_nothing_committed(url: str, before_kill: int = 25) -> None:
    Store(url).close()
    process = writer(url, 100_000, "k")
    assert process.stdout is not None
    committed = [int(process.stdout.readline()) for _ in range(before_kill)]
    process.send_signal(signal.SIGKILL)
    rest, _ = process.communicate(timeout=WRITER_TIMEOUT_S)
    committed += [int(line) for line in rest.split()]
    assert process.returncode == -signal.SIGKILL
    store = Store(url)
    stored = {e.id for e in store.export()}
    assert set(committed) <= stored
    # nothing half-written: every stored record is whole, and the store takes writes again
    assert all(e.causes and e.incident_id.startswith("k-") for e in store.export())
    assert store.add(new_record("after", 0)) == max(stored) + 1
    store.close()


if __name__ == "__main__":
    write(sys.argv[1], int(sys.argv[2]), sys.argv[3])
