"""The planner's live data source: fresh reads when the server answers, the capture when it does not."""

from __future__ import annotations

from models import Incident, Instance, LockWait
from sources.live.datasource import LiveSource
from sources.live.dsn import Dsn, parse_dsn
from sources.live.errors import CollectError
from sources.live.sample import Collector, Sample, ServerInfo
from tests.live.fakes import ScriptedCollector

DSN = parse_dsn("postgresql://mon:pw@db.example:5432/app")
RECORDED = LockWait(time=1.0, waiting_session="7", blocking_session="3", wait_s=4.0)
INCIDENT = Incident(
    id="live-postgres-x",
    instance=Instance(engine="postgres", host="db.example:5432"),
    lock_waits=[RECORDED],
    settings={"work_mem": "4MB"},
)


class _Waiting(ScriptedCollector):
    def sample(self, now: float) -> Sample:
        return Sample(time=now, lock_waits=[LockWait(time=now, waiting_session="9", blocking_session="3")])


class _Down(ScriptedCollector):
    def connect(self) -> ServerInfo:
        raise CollectError("cannot connect to postgresql://mon:***@db.example:5432/app: connection refused")


def test_live_reads_add_what_the_server_shows_now() -> None:
    made: list[ScriptedCollector] = []

    def factory(_: Dsn) -> Collector:
        made.append(_Waiting(counters=[], gauges=[]))
        return made[-1]

    source = LiveSource(INCIDENT, DSN, collector_factory=factory, clock=lambda: 50.0)
    waits = source.lock_waits()
    assert [(w.time, w.waiting_session) for w in waits] == [(1.0, "7"), (50.0, "9")]
    assert source.settings() == {"max_connections": "100"}
    assert all(c.closed for c in made)
    assert source.notes == []


def test_a_server_that_went_away_leaves_the_capture() -> None:
    source = LiveSource(INCIDENT, DSN, collector_factory=lambda _: _Down(counters=[], gauges=[]))
    assert source.lock_waits() == [RECORDED]
    assert source.settings() == {"work_mem": "4MB"}
    assert source.top_sql() == []
    assert (
        source.notes
        == [
            "live read failed, using the capture: cannot connect to postgresql://mon:***@db.example:5432/app: "
            "connection refused"
        ]
        * 3
    )
