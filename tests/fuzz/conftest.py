"""The fuzzing suite's profile, its isolation from the user's files, and its counts in the report."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.cli import TALLY

# A fixed number of examples, derandomised so every run tries the same inputs, and a deadline per
# input far above what any command needs (a hang or a quadratic blow-up still fails).
EXAMPLES = int(os.environ.get("SLEUTH_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=20),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@pytest.fixture(scope="package", autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No history, config or data of the user's is read or written; a small file limit keeps
    oversized inputs cheap to make."""
    home = tmp_path_factory.mktemp("fuzz-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(home / "data"))
        mp.setenv("XDG_CONFIG_HOME", str(home / "config"))
        mp.setenv("SLEUTH_MAX_FILE_MB", "1")
        for name in ("SLEUTH_CONFIG", "SLEUTH_DSN", "SLEUTH_HISTORY__URL"):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY:
        return
    terminalreporter.section("fuzzing: inputs tried per command")
    for command in sorted(TALLY):
        counts = TALLY[command]
        rest = ", ".join(
            f"{n} {k}" for k, n in sorted(counts.items()) if k not in ("accepted", "clear error")
        )
        terminalreporter.write_line(
            f"{command:<22} {sum(counts.values()):>5} tried  {counts['clear error']:>5} clear errors  "
            f"{counts['accepted']:>5} accepted  {counts['crash']} tracebacks"
            + (f"  ({rest})" if rest else "")
        )
