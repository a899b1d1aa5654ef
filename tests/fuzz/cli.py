"""Running a command on a hostile input as a user does, and judging what it said.

A command passes when it exits with a documented code, lets no exception out
(a traceback), and says what is wrong with each bad file in one line that names
the file and the place: ``FILE: PLACE: what is wrong`` for incidents and
imports (the place a field path, ``line L column C``, or nothing when the whole
file is refused), ``FILE:LINE:COL id: what is wrong`` for YAML authoring files.
"""

from __future__ import annotations

import contextlib
import io
import re
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tui.cli import main

# What refuses a whole file, so no place inside it is named.
WHOLE_FILE = (
    "empty file",
    "empty CSV",
    "no data rows",
    "is a directory",
    "not a regular file (a FIFO, socket or device)",
    "no such file or directory",
    "dangling symbolic link (its target does not exist)",
    "not a directory",
    "file is ",
)
# A field path (``metrics.0.values``, ``[3].causes``, ``data.result.0.values.2.0``), a JSON or CSV
# position, a column, or the top level.
_PLACE = re.compile(
    r"(?:line \d+(?: column (?:\d+|'[^']*'))?|\(top level\)|column '[^']*'|[^\s:]+)(?:: | \()"
)
_YAML_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+) (?P<id>\S+): (?P<message>.+)$")

TALLY: dict[str, Counter[str]] = {}


@dataclass
class Run:
    argv: list[str]
    code: int | None
    out: str
    err: str
    crash: str | None  # the traceback of an exception that escaped the command

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run(argv: list[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    crash = None
    code: int | None = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:
            crash = traceback.format_exc()
    return Run(argv, code, out.getvalue(), err.getvalue(), crash)


def lines_about(result: Run, path: Path) -> list[str]:
    name = str(path)
    return [line for line in result.err_lines if line.startswith(name) or line.startswith(f"sleuth: {name}")]


def is_clear(line: str, path: Path) -> bool:
    """``FILE: PLACE: message`` or ``FILE: whole-file reason``, on one line, naming ``path``."""
    rest = line.removeprefix("sleuth: ").removeprefix(f"{path}: ")
    if rest == line.removeprefix("sleuth: "):
        return False
    return rest.startswith(WHOLE_FILE) or _PLACE.match(rest) is not None


def is_clear_yaml(line: str, path: Path) -> bool:
    match = _YAML_LINE.match(line.removeprefix("sleuth: "))
    return match is not None and match["file"] == str(path)


def check(command: str, result: Run, codes: set[int], clear: bool = True) -> str:
    """Count the outcome for the report (``accepted``, ``clear error``, or what went wrong), then
    fail on a crash, an undocumented exit code or an unclear message."""
    if result.crash is not None or "Traceback (most recent call last)" in result.err:
        outcome = "crash"
    elif result.code not in codes:
        outcome = f"exit {result.code}"
    elif not clear:
        outcome = "unclear message"
    else:
        outcome = "accepted" if result.code == 0 else "clear error"
    TALLY.setdefault(command, Counter())[outcome] += 1
    assert result.crash is None, f"{command}: an exception escaped\n{result.crash}"
    assert "Traceback" not in result.err, result.err[-3000:]
    assert result.code in codes, f"{command} exited {result.code}; stderr:\n{result.err[-2000:]}"
    assert clear, f"{command}: unclear message:\n{result.out[-2000:]}\n{result.err[-2000:]}"
    return outcome
