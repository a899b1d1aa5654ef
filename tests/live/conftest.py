"""Fixtures for the live tests: the lab servers, started on demand by ``lab/start.sh``."""

from __future__ import annotations

import pytest

from lab.env import Lab, LabUnavailable, ensure_lab


@pytest.fixture(scope="session")
def lab() -> Lab:
    try:
        return ensure_lab()
    except LabUnavailable as exc:
        pytest.fail(f"the anomaly lab is not available: {exc}", pytrace=False)
