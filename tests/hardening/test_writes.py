"""Nothing clobbered: every command that writes a file goes through one atomic writer that never replaces
anything but a regular file, replaces an existing one only with ``--force``, and checks the destination
before any work."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import sleuth.live as sleuth_live
from models import Incident, Instance, MetricSeries
from sources.errors import OutputError
from sources.incident_files import load_incident, write_incident
from sources.live.dsn import Dsn
from sources.live.sample import Sample
from sources.live.sampler import OnSample
from sources.output_files import StagedFile, check_destination, write_text
from tui.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"


def _incident(name: str = "inc-1") -> Incident:
    series = MetricSeries(name="cpu_user", timestamps=[1.0, 2.0, 3.0, 4.0], values=[1.0, 1.0, 9.0, 1.0])
    return Incident(id=name, instance=Instance(engine="postgres", host="db.example:5432"), metrics=[series])


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_fifo_is_never_replaced_even_with_force(tmp_path: Path) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    for force in (False, True):
        with pytest.raises(OutputError) as info:
            write_incident(_incident(), fifo, force=force)
        assert str(info.value) == (
            f"{fifo}: is a FIFO; sleuth writes only regular files (remove it or choose another path)"
        )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _leftovers(tmp_path) == []


def test_a_symbolic_link_is_never_replaced_nor_written_through(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (link, dangling):
        with pytest.raises(OutputError) as info:
            write_incident(_incident(), path, force=True)
        assert str(info.value).startswith(f"{path}: is a symbolic link; sleuth writes only regular files")
        assert path.is_symlink()
    assert target.read_text() == "keep me"
    assert not (tmp_path / "nowhere").exists()


def test_an_existing_file_is_replaced_only_with_force_keeping_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")
    out.chmod(0o640)
    with pytest.raises(OutputError) as info:
        write_incident(_incident(), out)
    assert str(info.value) == f"{out}: already exists; pass --force to replace it"
    assert out.read_text() == "old"
    write_incident(_incident("inc-2"), out, force=True)
    assert load_incident(out).id == "inc-2"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_the_temporary_file_is_beside_the_destination_and_gone_after_a_discard(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "out.json"
    staged = StagedFile(out, parents=True)
    assert staged.tmp.parent == out.parent  # same directory, so the same filesystem: the move is atomic
    staged.write("half a fil")
    assert not out.exists()  # nobody sees a half-written file
    staged.discard()
    assert not out.exists() and _leftovers(out.parent) == []


def test_a_file_that_appears_while_writing_is_not_clobbered(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    staged = StagedFile(out)
    staged.write("mine")
    out.write_text("someone else's")
    with pytest.raises(OutputError) as info:
        staged.commit()
    assert str(info.value) == f"{out}: already exists; pass --force to replace it"
    assert out.read_text() == "someone else's"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "afile" / "c.json", "cannot create it: {d}/afile is not a directory"),
        (lambda d: Path("/proc/sleuth-test/c.json"), "cannot write in /proc: "),
        (lambda d: d / "missing" / "c.json", "no such directory {d}/missing"),
    ],
)
def test_a_bad_destination_is_found_before_any_work(tmp_path: Path, make: object, message: str) -> None:
    (tmp_path / "afile").write_text("x")
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(OutputError) as info:
        check_destination(path, parents=not message.startswith("no such"))
    assert str(info.value).startswith(f"{path}: {message.format(d=tmp_path)}")


def test_import_to_an_unwritable_out_is_one_line_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "p.json"
    export.write_text("{}")
    assert main(["import", "prometheus", str(export), "--out", "/proc/x.json"]) == 2
    assert (
        capsys.readouterr().err
        == "sleuth: --out /proc/x.json: cannot write in /proc: no such file or directory\n"
    )


def test_import_refuses_an_existing_out_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "p.json"
    export.write_text(
        json.dumps(
            {
                "status": "success",
                "data": {
                    "resultType": "matrix",
                    "result": [{"metric": {"__name__": "pg_up"}, "values": [[1, "1"], [2, "1"], [3, "2"]]}],
                },
            }
        )
    )
    out = tmp_path / "inc.json"
    out.write_text("precious")
    assert main(["import", "prometheus", str(export), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"sleuth: --out {out}: already exists; pass --force to replace it\n"
    assert out.read_text() == "precious"
    assert main(["import", "prometheus", str(export), "--out", str(out), "--force"]) == 0
    assert load_incident(out).instance.engine == "postgres"


def test_import_dbsherlock_never_replaces_files_without_force_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cases").mkdir()
    rows = "Epoch,cpu\n" + "".join(f"{i},{10 + (5 <= i <= 9) * 50}\n" for i in range(1, 15))
    for name in ("a", "b"):
        (tmp_path / "cases" / f"{name}.csv").write_text(rows)
    manifest = [
        {"case": name, "causes": ["CPU Saturation"], "file": f"cases/{name}.csv", "abnormal_rows": [5, 9]}
        for name in ("a", "b")
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "a.json")
    assert main(["import", "dbsherlock", str(tmp_path), "--out", str(out), "--force"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{out / 'a.json'}: is a FIFO; ")
    assert err[1] == f"wrote 1 incidents to {out}; 1 cases failed"
    assert load_incident(out / "b.json").id == "b"


def test_kg_export_and_rules_learn_refuse_what_they_must_not_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "graph.dot"
    os.mkfifo(fifo)
    assert main(["kg", "export", "--format", "dot", "--out", str(fifo), "--force"]) == 1
    assert capsys.readouterr().err.startswith(f"sleuth kg: cannot write {fifo}: is a FIFO; ")
    pack = tmp_path / "learned.yaml"
    pack.write_text("mine")
    assert main(["rules", "learn", str(EXAMPLES / "cpu_saturation-01.json"), "--out", str(pack)]) == 2
    assert capsys.readouterr().err == f"sleuth: --out {pack}: already exists; pass --force to replace it\n"
    assert pack.read_text() == "mine"


def test_a_bad_trace_is_refused_before_any_diagnosis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text("an older trace\n")
    assert main(["diagnose", "--no-llm", str(EXAMPLES), "--trace", str(trace)]) == 2
    assert capsys.readouterr() == (
        "",
        f"sleuth: --trace {trace}: already exists; pass --force to replace it\n",
    )
    assert (
        main(["diagnose", "--no-llm", str(EXAMPLES / "db_backup-01.json"), "--trace", str(trace), "--force"])
        == 0
    )
    first = json.loads(trace.read_text().splitlines()[0])
    assert first["output"]["incident"] == "db_backup-01"
    assert _leftovers(tmp_path) == []


def _never_sampled(
    dsn: Dsn, duration: float, interval: float, *, on_sample: OnSample, mask_literals: bool
) -> Incident:
    raise AssertionError("sampling started although the destination is bad")


@pytest.mark.parametrize("kind", ["fifo", "symlink", "file-as-folder", "exists"])
def test_collect_checks_the_destination_before_the_first_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    out = tmp_path / "c.json"
    if kind == "fifo":
        os.mkfifo(out)
    elif kind == "symlink":
        out.symlink_to(tmp_path / "elsewhere.json")
    elif kind == "file-as-folder":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "c.json"
    else:
        out.write_text("an earlier capture")
    monkeypatch.setattr(sleuth_live, "collect", _never_sampled)
    code = main(
        [
            "collect",
            "--dsn",
            "postgresql://mon:pw@db.example:5432/app",
            "--duration",
            "60s",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: --out {out}: ") and err.count("\n") == 1
    assert "File exists" not in err


def test_a_capture_whose_write_fails_at_the_end_is_saved_elsewhere_and_said_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = tmp_path / "captures"
    out = folder / "c.json"
    capture = _incident("live-postgres-1")

    def fake(
        dsn: Dsn, duration: float, interval: float, *, on_sample: OnSample, mask_literals: bool
    ) -> Incident:
        on_sample(0, Sample(time=1.0))
        folder.rmdir()
        folder.write_text("the folder was replaced by a file while sampling")
        return capture

    folder.mkdir()
    monkeypatch.setattr(sleuth_live, "collect", fake)
    code = main(["collect", "--dsn", "postgresql://mon:pw@db.example:5432/app", "--out", str(out)])
    saved = tmp_path / "data" / "sleuth" / "captures" / "live-postgres-1.json"
    assert code == 1
    assert capsys.readouterr().err == (
        f"error: cannot write {out}: cannot create it: {folder} is not a directory; the capture is saved in {saved}\n"
    )
    assert load_incident(saved) == capture


def test_write_text_is_the_writer_of_every_other_output(tmp_path: Path) -> None:
    out = tmp_path / "x.txt"
    assert write_text(out, "one") == out
    with pytest.raises(OutputError):
        write_text(out, "two")
    assert write_text(out, "two", force=True).read_text() == "two"
