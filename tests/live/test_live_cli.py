"""``sleuth collect`` and ``diagnose --dsn`` argument handling, without a server."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import sleuth.live as sleuth_live
from lab.db import lab_dsn
from models import Incident, Instance
from sources.live import Dsn, PartialCollection, Sample
from sources.live.sampler import OnSample
from tui.cli import main
from tui.cli.live import parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("60s", 60.0), ("2m", 120.0), ("500ms", 0.5), ("1.5", 1.5)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_bad_duration_is_a_usage_error() -> None:
    with pytest.raises(argparse.ArgumentTypeError) as info:
        parse_duration("soon")
    assert str(info.value) == "not a duration: 'soon' (use e.g. 60s, 2m, 500ms)"


def test_collect_without_a_dsn_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLEUTH_DSN", raising=False)
    assert main(["collect", "--out", "x.json"]) == 2
    assert capsys.readouterr().err == "error: no DSN: pass --dsn or set $SLEUTH_DSN\n"


def test_collect_with_an_unknown_scheme_names_it_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["collect", "--dsn", "oracle://scott:tiger@db:1521/x", "--out", "x.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: DSN 'oracle://scott:***@db:1521/x' must start with one of")
    assert "tiger" not in err


def test_diagnose_needs_files_or_a_dsn(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose"]) == 2
    assert capsys.readouterr().err == "sleuth: give incident files or --dsn DSN\n"


def test_injectors_refuse_anything_but_loopback() -> None:
    with pytest.raises(ValueError) as info:
        lab_dsn("postgresql://u:pw@db.prod.example:5432/app")
    assert str(info.value) == "the lab injects anomalies only into loopback servers, not db.prod.example:5432"
    assert lab_dsn("mysql://u:pw@127.0.0.1:3307/x").port == 3307


def test_a_partial_capture_is_written_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    partial = Incident(id="live-postgres-x", instance=Instance(engine="postgres", host="db.example:5432"))
    message = "lost the connection to postgresql://mon:***@db.example:5432/app: terminated; kept 4 sample(s)"

    def fake_collect(
        dsn: Dsn, duration: float, interval: float, *, on_sample: OnSample, mask_literals: bool
    ) -> Incident:
        assert mask_literals  # literals are masked unless --keep-literals
        for i in range(4):
            on_sample(i, Sample(time=float(i)))
        raise PartialCollection(message, partial)

    monkeypatch.setattr(sleuth_live, "collect", fake_collect)
    out = tmp_path / "partial.json"
    code = main(["collect", "--dsn", "postgresql://mon:pw@db.example:5432/app", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err == f"error: {message}\n"
    assert captured.out == f"wrote {out}: partial capture, 4 samples, 0 metrics from db.example:5432\n"
    assert Incident.model_validate_json(out.read_text()) == partial


def test_diagnose_dsn_lets_the_planner_read_the_live_server() -> None:
    """The capture of ``diagnose --dsn`` is investigated through a LiveSource over the same server."""
    from sleuth import Sleuth
    from sources.incident_files import load_incident
    from sources.live.datasource import LiveSource

    example = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "rds-pg-missing-index.json"
    incident = load_incident(example)
    source = Sleuth().live_source(incident, "postgresql://monitor:s3cret@127.0.0.1:5432/app")
    assert isinstance(source, LiveSource)
    assert source.incident is incident
