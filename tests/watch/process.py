"""``sleuth watch`` as a separate process, as a user (or systemd) runs it; its JSON lines read as they come."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.watch import REPO


class WatchProcess:
    def __init__(
        self, args: Sequence[str], env: dict[str, str] | None = None, log: Path | None = None
    ) -> None:
        self.lines: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._stderr = (log or Path(os.devnull)).open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "watch", *args],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def wait_for(
        self, kind: str, server: str | None = None, timeout_s: float = 60.0
    ) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                found = next(
                    (
                        e
                        for e in self.lines
                        if e["kind"] == kind and (server is None or e["server"] == server)
                    ),
                    None,
                )
                left = deadline - time.monotonic()
                if found is not None or left <= 0 or self.proc.poll() is not None:
                    return found
                self._cond.wait(min(left, 0.5))

    def kinds(self, server: str | None = None) -> list[str]:
        with self._cond:
            return [e["kind"] for e in self.lines if server is None or e["server"] == server]

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)
        self._reader.join(10)
        self._stderr.close()

    def terminate(self, timeout_s: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout_s)
        self._reader.join(10)
        self._stderr.close()
        return code
