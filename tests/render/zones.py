"""Pinning the local time zone, so tests of wall-clock output mean the same on every machine."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

CET = "CET-1CEST,M3.5.0,M10.5.0/3"
"""Central European time as a POSIX rule: needs no tz database, and is not UTC, so local time shows."""


@contextmanager
def local_zone(tz: str) -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
