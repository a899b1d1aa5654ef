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
