"""On real servers: bad DSNs, refused connections, wrong passwords, missing grants, a vanishing server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lab.db import connect, lab_dsn, run
from lab.env import Lab
from models import Incident
from sources.live import CollectError, PartialCollection, Sample, collect, parse_dsn

pytestmark = pytest.mark.live

# The installed console script, as a user runs it.
SLEUTH = [str(Path(sys.executable).with_name("sleuth"))]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _with_password(dsn: str, password: str) -> str:
    d = parse_dsn(dsn)
    return f"{d.scheme}://{d.user}:{password}@{d.host}:{d.port}/{d.database}"


@pytest.mark.parametrize("server", ["pg", "mysql"])
def test_wrong_password_is_one_line_without_the_password(lab: Lab, server: str) -> None:
    dsn = _with_password(lab.pg if server == "pg" else lab.mysql, "Wr0ng-Pa55")
    with pytest.raises(CollectError) as info:
        collect(dsn, 1, 1)
    message = str(info.value)
    assert "\n" not in message and "Wr0ng-Pa55" not in message
    expected = (
        "password authentication failed" if server == "pg" else "Access denied for user 'sleuth_monitor'"
    )
    assert expected in message


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_refused_connection(scheme: str) -> None:
    port = _closed_port()
    with pytest.raises(CollectError) as info:
        collect(f"{scheme}://u:S3cret@127.0.0.1:{port}/db", 1, 1)
    assert str(info.value).startswith(f"cannot connect to {scheme}://u:***@127.0.0.1:{port}/db: ")
    assert "S3cret" not in str(info.value)


def test_missing_extension_is_noted_and_the_rest_collected(lab: Lab) -> None:
    d = parse_dsn(lab.pg)
    incident = collect(f"{d.scheme}://{d.user}:{d.password}@{d.host}:{d.port}/postgres", 2, 1)
    warnings = [log.message for log in incident.logs if log.level == "warning"]
    assert warnings == [
        "pg_stat_statements: not collected (the pg_stat_statements extension is not installed in database "
        "'postgres')"
    ]
    assert incident.top_sql == []
    assert {"pg_stat_database.xact_commit", "pg_stat_activity.total"} <= {m.name for m in incident.metrics}


def test_missing_privileges_cost_only_their_sections(lab: Lab) -> None:
    d = parse_dsn(lab.mysql)
    incident = collect(f"mysql://sleuth_noprivs:{d.password}@{d.host}:{d.port}/", 2, 1)
    warnings = [log.message for log in incident.logs if log.level == "warning"]
    assert any(w.startswith("innodb transactions: not collected (Access denied") for w in warnings)
    assert any(w.startswith("statement digests: not collected") for w in warnings)
    names = {m.name for m in incident.metrics}
    assert {"Threads_running", "Innodb_row_lock_waits", "Com_select"} <= names
    assert "information_schema.innodb_trx.total" not in names


def _kill_monitor_sessions(lab: Lab, server: str) -> None:
    admin = connect(lab_dsn(lab.pg_admin if server == "pg" else lab.mysql_admin))
    try:
        if server == "pg":
            run(
                admin,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sleuth-collector'",
            )
        else:
            for (thread_id,) in run(
                admin, "SELECT id FROM information_schema.PROCESSLIST WHERE user = 'sleuth_monitor'"
            ):
                run(admin, f"KILL {int(thread_id)}")
    finally:
        admin.close()


@pytest.mark.parametrize("server", ["pg", "mysql"])
def test_server_going_away_keeps_every_sample(lab: Lab, server: str) -> None:
    def on_sample(index: int, _: Sample) -> None:
        if index == 2:
            _kill_monitor_sessions(lab, server)

    with pytest.raises(PartialCollection) as info:
        collect(lab.pg if server == "pg" else lab.mysql, 8, 0.5, on_sample=on_sample)
    assert info.value.message.endswith("; kept 3 sample(s)")
    assert info.value.message.startswith("lost the connection to ")
    assert "monitor-pw" not in info.value.message
    partial = info.value.incident
    assert max(len(m.timestamps) for m in partial.metrics) == 2  # the first sample primes the rates
    assert partial.logs[-1].level == "error"


def test_cli_collect_writes_an_incident_and_never_prints_the_password(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "capture.json"
    done = subprocess.run(
        [*SLEUTH, "collect", "--dsn", lab.pg, "--duration", "2s", "--interval", "1s", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    incident = Incident.model_validate_json(out.read_text())
    assert incident.source == "live:postgres"
    assert done.stdout.startswith(f"wrote {out}: 3 samples, ")
    password = parse_dsn(lab.pg).password
    assert password not in done.stdout + done.stderr + out.read_text()


def test_cli_collect_fails_in_one_line_on_a_wrong_password(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "never.json"
    done = subprocess.run(
        [
            *SLEUTH,
            "collect",
            "--dsn",
            _with_password(lab.mysql, "Nope-123"),
            "--duration",
            "1s",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error: cannot connect to mysql://sleuth_monitor:***@127.0.0.1:")
    assert "Nope-123" not in done.stderr
    assert not out.exists()


def test_cli_diagnose_dsn_collects_then_diagnoses_without_printing_the_password(lab: Lab) -> None:
    done = subprocess.run(
        [*SLEUTH, "diagnose", "--dsn", lab.mysql, "--duration", "2s", "--no-llm", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    record = json.loads(line)
    assert record["incident"].startswith("live-mariadb-")
    password = parse_dsn(lab.mysql).password
    assert password not in done.stdout + done.stderr
