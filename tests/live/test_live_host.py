"""The host probe beside the lab's real servers: the busy CPU split between the server's processes
and everything else, as the rules that tell an outside hog from the database's own load read it.

A busy loop takes one core whoever runs it; the test sees where that core lands. The bounds are
fractions of one core (``100 / cores`` per cent of the host), not fitted figures: most of the core
on the side that burnt it, a small part at most on the other (the idle server's own work, the
collector's reads, whatever else the machine does meanwhile).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from lab.db import connect, lab_dsn, run
from lab.env import Lab
from sources.live import parse_dsn
from sources.live.sample import Collector
from sources.live.sampler import open_collector

pytestmark = pytest.mark.live

BURN_S = 3.0
ONE_CORE = 100.0 / (os.cpu_count() or 1)
# A statement that keeps one server process on the CPU for BURN_S, whatever the machine's speed.
BUSY = {
    "pg": (
        "DO $$ DECLARE t timestamptz := clock_timestamp(); BEGIN "
        f"WHILE clock_timestamp() < t + interval '{BURN_S} seconds' LOOP END LOOP; END $$"
    ),
    "mariadb": (
        "BEGIN NOT ATOMIC DECLARE t DATETIME(6) DEFAULT SYSDATE(6); "
        f"WHILE SYSDATE(6) < t + INTERVAL {int(BURN_S * 1e6)} MICROSECOND DO SET @spin = 1; END WHILE; END"
    ),
}


def _split_while(lab: Lab, server: str, burning: AbstractContextManager[None]) -> tuple[float, float]:
    """The server's and the others' share of the host's CPU over most of what ``burning`` burns."""
    with _collector(lab, server) as coll:
        coll.sample(time.time())  # the probe's first reading, which has no percentages
        with burning:
            time.sleep(0.3)  # the burn under way before the reading starts
            coll.sample(time.time())
            time.sleep(BURN_S - 1.0)
            gauges = coll.sample(time.time()).gauges
    return gauges["host.cpu_server"], gauges["host.cpu_others"]


@contextmanager
def _collector(lab: Lab, server: str) -> Iterator[Collector]:
    coll = open_collector(parse_dsn(lab.pg if server == "pg" else lab.mysql))
    coll.connect()
    try:
        assert coll.notes() == []
        yield coll
    finally:
        coll.close()


@contextmanager
def _busy_loop() -> Iterator[None]:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


@contextmanager
def _spinning_statement(lab: Lab, server: str) -> Iterator[None]:
    admin = connect(lab_dsn(lab.pg_admin if server == "pg" else lab.mysql_admin))
    errors: list[BaseException] = []

    def burn() -> None:
        try:
            run(admin, BUSY[server])
        except BaseException as exc:  # seen by the test, not lost in the thread
            errors.append(exc)

    statement = threading.Thread(target=burn)
    statement.start()
    try:
        yield
    finally:
        statement.join()
        admin.close()
    assert errors == []


@pytest.mark.parametrize("server", ["pg", "mariadb"])
def test_a_busy_loop_outside_the_server_is_counted_as_another_process(lab: Lab, server: str) -> None:
    own, others = _split_while(lab, server, _busy_loop())
    assert others >= 0.7 * ONE_CORE and own <= 0.25 * ONE_CORE, (own, others)


@pytest.mark.parametrize("server", ["pg", "mariadb"])
def test_a_cpu_bound_statement_is_counted_as_the_servers_own(lab: Lab, server: str) -> None:
    own, others = _split_while(lab, server, _spinning_statement(lab, server))
    assert own >= 0.7 * ONE_CORE and others <= 0.25 * ONE_CORE, (own, others)
