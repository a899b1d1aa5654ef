"""Code run in a fresh interpreter: what a module imports is only visible before anything else has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_python(code: str) -> str:
    """The standard output of ``code`` run by a new interpreter from the repository's root."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
