"""A forked batch: this process takes a share of the files, and the stream stays in order."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from models import Diagnosis
from sleuth import _batch


def _where(path: Path) -> Diagnosis:
    """A stand-in diagnosis naming the file and the process that made it; one file cannot be read."""
    if path.name == "13.json":
        raise ValueError("cannot read it")
    time.sleep(0.005)  # enough work that the worker cannot finish the batch before this process looks
    return Diagnosis(incident=f"{path.stem}@{os.getpid()}", path="inconclusive")


def test_both_processes_diagnose_and_outcomes_keep_the_order_of_the_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # two jobs run on a one-CPU machine too
    paths = [Path(f"{i:02d}.json") for i in range(64)]
    outcomes = list(_batch.run(paths, _where, jobs=2))
    assert [o.path for o in outcomes] == paths
    assert outcomes[13].diagnosis is None and outcomes[13].error == "13.json: cannot read it"
    made = [o.diagnosis.incident.split("@") for o in outcomes if o.diagnosis is not None]
    assert [stem for stem, _ in made] == [p.stem for p in paths if p.name != "13.json"]
    pids = {int(pid) for _, pid in made}
    assert os.getpid() in pids and len(pids) == 2


def test_one_job_or_one_file_never_forks() -> None:
    for paths, jobs in (([Path("00.json"), Path("01.json")], 1), ([Path("00.json")], 2)):
        outcomes = list(_batch.run(paths, _where, jobs=jobs))
        assert [o.diagnosis.incident if o.diagnosis else None for o in outcomes] == [
            f"{p.stem}@{os.getpid()}" for p in paths
        ]


def test_the_files_of_a_worker_that_dies_are_diagnosed_here_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    here = os.getpid()

    def dies_in_a_worker(path: Path) -> Diagnosis:
        if os.getpid() != here:
            os._exit(3)  # killed mid-chunk, as by the OOM killer: nothing is sent back
        return _where(path)

    paths = [Path(f"{i:02d}.json") for i in range(64)]
    outcomes = list(_batch.run(paths, dies_in_a_worker, jobs=2))
    assert [o.path for o in outcomes] == paths
    assert [o.error for o in outcomes if o.error] == ["13.json: cannot read it"]
    assert {o.diagnosis.incident for o in outcomes if o.diagnosis} == {
        f"{p.stem}@{here}" for p in paths if p.name != "13.json"
    }


def test_a_signal_while_waiting_on_a_worker_stops_the_batch_without_waiting_for_its_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wait for a worker gives way to a signal's handler, and the worker's file is dropped."""
    import signal

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    here = os.getpid()

    def slow_in_a_worker(path: Path) -> Diagnosis:
        time.sleep(0.05 if os.getpid() == here else 120)
        return Diagnosis(incident=path.stem, path="inconclusive")

    class Stop(Exception):
        pass

    def stop(signum: int, frame: object) -> None:
        raise Stop

    previous = signal.signal(signal.SIGALRM, stop)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(Stop):
            list(_batch.run([Path(f"{i}.json") for i in range(8)], slow_in_a_worker, jobs=2))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 60  # the worker's file would take 120 s
