"""Paths shared by the foundation tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DBSHERLOCK = REPO.parent / "shared" / "datasets" / "dbsherlock-tpcc16w"


@pytest.fixture
def dbsherlock_dir() -> Path:
    assert (DBSHERLOCK / "manifest.json").is_file(), f"DBSherlock data missing at {DBSHERLOCK}"
    return DBSHERLOCK
