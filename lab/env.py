"""Finds the running lab servers, or starts them with the lab's own script.

What cannot reach them raises ``LabUnavailable``: live tests then fail (never
skip), since a silent skip would let CI pass without ever touching a real
database, and the benches stop with the reason.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pymysql

from lab.db import connect
from sources.live.dsn import parse_dsn

START = Path(__file__).resolve().parent / "start.sh"
START_TIMEOUT_S = 900  # a fresh machine installs the Debian packages first


@dataclass(frozen=True)
class Lab:
    pg: str
    pg_admin: str
    mysql: str
    mysql_admin: str


class LabUnavailable(RuntimeError):
    pass


def lab_dir() -> Path:
    """Where the lab's servers keep their data and ``lab.env``: ``$SLEUTH_LAB_DIR``, else the
    default the lab's scripts use (``lab/common.sh``)."""
    return Path(os.environ.get("SLEUTH_LAB_DIR", "/tmp/sleuth-lab"))


def parse_env(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.startswith("SLEUTH_"):
            out[key] = value
    return out


def _reachable(env: dict[str, str]) -> bool:
    try:
        for name in ("SLEUTH_PG_ADMIN_DSN", "SLEUTH_MYSQL_ADMIN_DSN"):
            connect(parse_dsn(env[name]), timeout_s=3).close()
    except (KeyError, psycopg.Error, pymysql.err.MySQLError, OSError):
        return False
    return True


def ensure_lab() -> Lab:
    """The lab's DSNs: reuse running servers, else run ``lab/start.sh`` (installs and starts them)."""
    env_file = lab_dir() / "lab.env"
    env = parse_env(env_file.read_text()) if env_file.is_file() else {}
    if not _reachable(env):
        try:
            done = subprocess.run(
                ["bash", str(START)], capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise LabUnavailable(f"lab/start.sh did not finish in {START_TIMEOUT_S} s") from exc
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-5:])
            raise LabUnavailable(f"lab/start.sh failed (exit {done.returncode}): {tail}")
        env = parse_env(done.stdout)
        if not _reachable(env):
            raise LabUnavailable("lab/start.sh ran but the servers do not answer")
    return Lab(
        pg=env["SLEUTH_PG_DSN"],
        pg_admin=env["SLEUTH_PG_ADMIN_DSN"],
        mysql=env["SLEUTH_MYSQL_DSN"],
        mysql_admin=env["SLEUTH_MYSQL_ADMIN_DSN"],
    )
