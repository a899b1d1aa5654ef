"""The watcher's tests; ``RECORDINGS`` holds the lab sessions they replay (``lab.replay``)."""

from pathlib import Path

RECORDINGS = Path(__file__).parent / "recordings"
REPO = Path(__file__).resolve().parents[2]
