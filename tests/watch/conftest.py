"""Fixtures for the watcher's live tests: the lab, a second lab (four real servers), a clean spool."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.env import Lab, LabUnavailable, ensure_lab, lab_dir, parse_env
from tests.watch import REPO
from tests.watch.scenario import Server

SECOND_LAB_TIMEOUT_S = 300


@pytest.fixture(scope="session")
def lab() -> Lab:
    try:
        return ensure_lab()
    except LabUnavailable as exc:
        pytest.fail(f"the anomaly lab is not available: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def second_lab() -> Iterator[Lab]:
    """Another PostgreSQL and MariaDB in a lab directory of their own, stopped (and removed) at the end."""
    folder = f"{lab_dir()}-watch-b"
    env = {**os.environ, "SLEUTH_LAB_DIR": folder}
    try:
        done = subprocess.run(
            ["bash", str(REPO / "lab" / "start.sh")],
            capture_output=True,
            text=True,
            env=env,
            timeout=SECOND_LAB_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"a second lab did not start in {SECOND_LAB_TIMEOUT_S} s", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"a second lab did not start: {done.stderr.strip()[-500:]}", pytrace=False)
    found = parse_env(done.stdout)
    try:
        yield Lab(
            pg=found["SLEUTH_PG_DSN"],
            pg_admin=found["SLEUTH_PG_ADMIN_DSN"],
            mysql=found["SLEUTH_MYSQL_DSN"],
            mysql_admin=found["SLEUTH_MYSQL_ADMIN_DSN"],
        )
    finally:
        subprocess.run(
            ["bash", str(REPO / "lab" / "stop.sh"), "--clean"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )


def servers(lab: Lab, suffix: str = "") -> tuple[Server, Server]:
    return (
        Server(f"lab-pg{suffix}", lab.pg, lab.pg_admin),
        Server(f"lab-mariadb{suffix}", lab.mysql, lab.mysql_admin),
    )


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path
