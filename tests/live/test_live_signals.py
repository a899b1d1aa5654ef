"""On real servers: SIGTERM, SIGHUP and SIGINT during ``sleuth collect`` keep the capture, and it validates.

A service manager stops a capture with SIGTERM (systemd, supervisord) or SIGHUP
(a closing terminal); each must write what was sampled, as Ctrl-C does, exit
128 + the signal's number, and leave no temporary file behind. The signal is
sent once the command's own progress line (on a pseudo-terminal) shows three
samples, so the test waits on the capture, not on the clock.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.env import Lab
from sources.incident_files import load_incident
from sources.live.dsn import parse_dsn

pytestmark = pytest.mark.live

SLEUTH = [str(Path(sys.executable).with_name("sleuth"))]
WAIT_S = 60


def _signals_as_from_a_terminal() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _wait_for_samples(master: int, proc: subprocess.Popen[str], count: int) -> str:
    """Read the progress line from the pseudo-terminal until it shows ``count`` samples."""
    seen = ""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                seen += os.read(master, 4096).decode(errors="replace")
            except OSError:
                break
            numbers = [int(n) for n in re.findall(r"(\d+) sample\(s\)", seen)]
            if numbers and max(numbers) >= count:
                return seen
    raise AssertionError(f"the capture never showed {count} samples: {seen[-300:]!r}")


@pytest.mark.parametrize("server", ["pg", "mysql"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_keeps_the_capture(lab: Lab, tmp_path: Path, server: str, sig: signal.Signals) -> None:
    out = tmp_path / "capture.json"
    dsn = lab.pg if server == "pg" else lab.mysql
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*SLEUTH, "collect", "--dsn", dsn, "--duration", "120s", "--interval", "0.5s", "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
            # as from a terminal: a runner started in the background (``cmd &`` in a script) hands its
            # children SIGINT ignored, and sleuth keeps an ignored signal ignored, as nohup expects
            preexec_fn=_signals_as_from_a_terminal,
        )
        os.close(slave)
        try:
            _wait_for_samples(master, proc, 3)
            proc.send_signal(sig)
            stdout, _ = proc.communicate(timeout=WAIT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
        rest = b""
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            rest += chunk
    finally:
        os.close(master)
    assert proc.returncode == 128 + sig
    match = re.fullmatch(
        r"wrote (.+): partial capture, (\d+) samples, (\d+) metrics from 127\.0\.0\.1:\d+\n", stdout
    )
    assert match is not None, stdout
    assert match[1] == str(out) and int(match[2]) >= 3
    assert f"capture stopped by {sig.name}; kept {match[2]} sample(s)" in rest.decode(errors="replace")
    incident = load_incident(out)  # validates, and a diagnosis can use it
    assert max(len(m.timestamps) for m in incident.metrics) >= 2
    assert incident.logs[-1].level == "error"
    assert [p.name for p in tmp_path.iterdir()] == ["capture.json"]  # no temporary file left behind
    assert parse_dsn(dsn).password not in out.read_text()
