"""A batch whose caller only prints: each diagnosis rendered by the job that made it; and the
history looked for on disk at every diagnosis, so one created meanwhile is found."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from models import Diagnosis
from sleuth import Settings, Sleuth
from tests.service.tiny import PACK, TINY_GRAPH, incident
from tui.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
# The time a diagnosis took, in each format: the one part of the output that differs run to run.
ELAPSED = re.compile(r'"elapsed_ms": [0-9.e+-]+|\s+[0-9.]+ ?ms\b')


@pytest.fixture
def app(tmp_path: Path) -> Sleuth:
    rules = tmp_path / "tiny.yaml"
    rules.write_text(PACK)
    return Sleuth(
        Settings(graph=[TINY_GRAPH], rules=[rules], history={"url": f"sqlite:///{tmp_path}/h.sqlite"})
    )


def _files(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"{i:02d}.json"
        path.write_text(incident(f"inc-{i}", 60.0 if i % 2 else 0.0).model_dump_json())
        paths.append(path)
    return paths


def _line(dx: Diagnosis) -> str:
    """A rendering that says which process made it, and cannot render one incident."""
    if dx.incident == "inc-4":
        raise ValueError("cannot draw this one")
    return f"{dx.incident} {[c.cause for c in dx.causes]} {os.getpid()}"


@pytest.mark.parametrize("jobs", [1, 2])
def test_rendered_outcomes_hold_the_text_in_order_and_a_diagnosis_that_cannot_be_rendered_whole(
    app: Sleuth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    paths = _files(tmp_path / "batch", 12)
    (tmp_path / "batch" / "07.json").write_text("{not json")
    outcomes = list(app.diagnose_files(paths, jobs=jobs, signals=False, render=_line))
    assert [o.path for o in outcomes] == paths
    texts = [o.text.rsplit(" ", 1)[0] if o.text is not None else None for o in outcomes]
    assert texts == [None if i in (4, 7) else f"inc-{i} {['c_cpu'] if i % 2 else []}" for i in range(12)]
    unrendered = outcomes[4].diagnosis
    assert unrendered is not None and unrendered.incident == "inc-4" and unrendered.signals == []
    assert outcomes[7].diagnosis is None and outcomes[7].error is not None
    assert all(o.diagnosis is None for i, o in enumerate(outcomes) if i != 4)
    pids = {int(o.text.rsplit(" ", 1)[1]) for o in outcomes if o.text is not None}
    assert len(pids) == jobs


def test_a_history_created_after_the_first_question_is_found_by_the_next(app: Sleuth, tmp_path: Path) -> None:
    assert not app.history_available()
    assert not app.history_available()
    (tmp_path / "h.sqlite").touch()  # another process creates it
    assert app.history_available()
    (tmp_path / "h.sqlite").unlink()
    assert not app.history_available()


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_the_command_prints_the_same_rendered_by_the_jobs_or_by_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """``--trace`` needs each diagnosis itself, so the command renders them; without it the jobs do."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("cpu_saturation-01", "db_backup-01", "lock_contention-01", "rds-pg-lock-contention"):
        shutil.copy(EXAMPLES / f"{name}.json", folder / f"{name}.json")
    (folder / "broken.json").write_text("{not json")
    printed = []
    for jobs, trace in (("1", []), ("2", []), ("2", ["--trace", str(tmp_path / "trace.jsonl"), "--force"])):
        assert main(["diagnose", "--no-llm", "--format", fmt, "--jobs", jobs, *trace, str(folder)]) == 1
        out, err = capsys.readouterr()
        assert (
            err
            == f"{folder / 'broken.json'}: line 1 column 2: invalid JSON: Expecting property name enclosed in double quotes\n"
        )
        printed.append(ELAPSED.sub("", out))
    assert printed[0] == printed[1] == printed[2]
    assert len(printed[0].splitlines()) >= 4
