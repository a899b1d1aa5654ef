"""The lab fixture's contract: reuse running servers, start them otherwise, and fail loudly when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import env as lab_env


def test_parse_env_keeps_only_the_lab_variables() -> None:
    text = "lab: postgres started\nSLEUTH_PG_DSN=postgresql://m:p@127.0.0.1:5/db\nOTHER=1\n"
    assert lab_env.parse_env(text) == {"SLEUTH_PG_DSN": "postgresql://m:p@127.0.0.1:5/db"}


def test_a_start_script_that_fails_is_an_error_not_a_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "start.sh"
    script.write_text("echo 'lab: error: need root to install mariadb-server (apt-get)' >&2\nexit 3\n")
    monkeypatch.setattr(lab_env, "START", script)
    monkeypatch.setenv("SLEUTH_LAB_DIR", str(tmp_path / "nolab"))
    with pytest.raises(lab_env.LabUnavailable) as info:
        lab_env.ensure_lab()
    assert str(info.value) == (
        "lab/start.sh failed (exit 3): lab: error: need root to install mariadb-server (apt-get)"
    )


def test_a_start_script_whose_servers_do_not_answer_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "start.sh"
    script.write_text(
        "echo SLEUTH_PG_ADMIN_DSN=postgresql://u:p@127.0.0.1:1/x\n"
        "echo SLEUTH_MYSQL_ADMIN_DSN=mysql://u:p@127.0.0.1:1/x\n"
    )
    monkeypatch.setattr(lab_env, "START", script)
    monkeypatch.setenv("SLEUTH_LAB_DIR", str(tmp_path / "nolab"))
    with pytest.raises(lab_env.LabUnavailable) as info:
        lab_env.ensure_lab()
    assert str(info.value) == "lab/start.sh ran but the servers do not answer"
