"""One server's watch over recorded samples of the lab's servers: nothing on a steady server, one
incident for an injected anomaly, resumed without repeats after a crash, gaps kept, outages said once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lab.replay import Recording, Replay, read_recording, restamped, slowed
from rules import window
from sleuth import Sleuth, load_settings
from sleuth.watch import ServerWatch, Target, Tuning, WatchEvent
from sleuth.watch.server import END_QUIET
from sleuth.watch.spool import Spool
from sleuth.watch.state import ServerState
from sources.live.errors import CollectError
from sources.live.sample import Collector
from tests.watch import RECORDINGS

START = 1_800_000_000.0
# The recordings' own interval; the detector's view of 60 samples, settling skipped (no reconnect here).
TUNING = Tuning(interval_s=1.0, view_s=60.0, settle_s=0.0, rediagnose_s=10.0, planner="never")


@pytest.fixture(scope="module")
def steady_pg() -> Recording:
    return read_recording(RECORDINGS / "steady-postgres.jsonl.gz")


@pytest.fixture(scope="module")
def steady_maria() -> Recording:
    return read_recording(RECORDINGS / "steady-mariadb.jsonl.gz")


@pytest.fixture(scope="module")
def locks_pg() -> Recording:
    return read_recording(RECORDINGS / "lock_contention-postgres.jsonl.gz")


@pytest.fixture(scope="module")
def index_maria() -> Recording:
    return read_recording(RECORDINGS / "missing_index-mariadb.jsonl.gz")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Sleuth]:
    service = Sleuth(load_settings(history={"url": f"sqlite:///{tmp_path / 'history.sqlite'}"}))
    yield service
    service.history.close()


def spool(app: Sleuth, tmp_path: Path) -> Spool:
    return app.watch_spool(incidents=tmp_path / "incidents", state=tmp_path / "state")


def feed(watch: ServerWatch, recording: Recording, start: int = 0, stop: int | None = None) -> None:
    samples = recording.samples[start:stop]
    for sample in restamped(samples, START + start * recording.interval_s, recording.interval_s):
        watch.observe(sample)


def watch_of(
    app: Sleuth, tmp_path: Path, recording: Recording, events: list[WatchEvent], name: str = "db"
) -> ServerWatch:
    watch = ServerWatch(
        Target(name, "postgresql://replay@127.0.0.1:1/r", ("test",), TUNING),
        app,
        spool(app, tmp_path),
        events.append,
    )
    watch.assume(recording.info)
    return watch


@pytest.mark.parametrize("which", ["steady_pg", "steady_maria"])
def test_a_steady_server_raises_no_incident(
    which: str, request: pytest.FixtureRequest, app: Sleuth, tmp_path: Path
) -> None:
    recording: Recording = request.getfixturevalue(which)
    events: list[WatchEvent] = []
    watch = watch_of(app, tmp_path, recording, events)
    feed(watch, recording)
    assert events == []
    status = watch.status()
    assert status.state == "watching" and status.samples == len(recording.samples)
    assert not (tmp_path / "incidents").exists() or not any((tmp_path / "incidents").rglob("*.json"))


def test_a_slowdown_no_rule_explains_that_ends_within_the_view_is_discarded_not_told(
    steady_maria: Recording, app: Sleuth, tmp_path: Path
) -> None:
    # the whole workload at 60 % of its pace for 20 s: the shape of a busy neighbour's burst
    blip = replace(steady_maria, samples=slowed(steady_maria.samples, 200, 220, 0.6))
    events: list[WatchEvent] = []
    watch = watch_of(app, tmp_path, blip, events)
    feed(watch, blip)
    assert [e.kind for e in events] == ["discarded"]
    (discarded,) = events
    assert discarded.causes == [] and discarded.end is not None
    assert START + 190 <= (discarded.onset or 0) <= START + 205 and discarded.end <= START + 240
    state = ServerState.model_validate_json((tmp_path / "state" / "db.state.json").read_text())
    assert state.discarded == [discarded.incident] and state.resolved == [] and state.pending == []
    assert state.open is None and not (tmp_path / "state" / "db.journal").exists()
    # nothing is lost: the incident file and its rules' diagnosis stay, the history holds no incident
    incident = json.loads(Path(discarded.path or "").read_text())
    assert incident["id"] == discarded.incident
    diagnosis = json.loads(Path(str(discarded.path).replace(".json", ".diagnosis.json")).read_text())
    assert diagnosis["causes"] == []
    assert app.history.entries(incident_id=discarded.incident) == []
    assert watch.status().state == "watching"


def test_an_anomaly_no_rule_explains_is_told_once_it_has_lasted_the_view(
    steady_maria: Recording, app: Sleuth, tmp_path: Path
) -> None:
    lasting = replace(steady_maria, samples=slowed(steady_maria.samples, 200, 300, 0.6))
    events: list[WatchEvent] = []
    watch = watch_of(app, tmp_path, lasting, events)
    feed(watch, lasting, 0, 250)  # under way for less than the view (60 s): held
    assert events == [] and watch.status().state == "incident"
    feed(watch, lasting, 250)
    assert [e.kind for e in events] == ["opened", "resolved"]
    opened, resolved = events
    assert opened.causes == [] and opened.message == "no rule explains it"
    assert resolved.incident == opened.incident
    state = ServerState.model_validate_json((tmp_path / "state" / "db.state.json").read_text())
    assert state.resolved == [opened.incident] and state.discarded == []


def onset_index(recording: Recording) -> int:
    assert recording.anomaly is not None
    started = recording.anomaly[1]
    return next(i for i, s in enumerate(recording.samples) if s.time >= started)


@pytest.mark.parametrize(
    ("which", "cause"), [("locks_pg", "lock_contention"), ("index_maria", "missing_index")]
)
def test_an_injected_anomaly_is_one_incident_opened_diagnosed_and_resolved(
    which: str, cause: str, request: pytest.FixtureRequest, app: Sleuth, tmp_path: Path
) -> None:
    recording: Recording = request.getfixturevalue(which)
    events: list[WatchEvent] = []
    watch = watch_of(app, tmp_path, recording, events)
    feed(watch, recording)
    kinds = [e.kind for e in events]
    assert kinds[0] == "opened" and kinds[-1] == "resolved" and kinds.count("opened") == 1
    assert set(kinds) <= {"opened", "updated", "resolved"}
    opened, resolved = events[0], events[-1]
    injected = START + onset_index(recording) * recording.interval_s
    assert opened.onset is not None and injected - 2.0 <= opened.onset <= injected + 8.0
    assert opened.top == cause and resolved.top == cause
    assert resolved.incident == opened.incident and resolved.end is not None
    incident = json.loads(Path(resolved.path or "").read_text())
    assert incident["id"] == opened.incident and incident["window"]["start"] == opened.onset
    # the calm samples are not in the window: a segment's worth that let the test see the anomaly
    # end, and the END_QUIET looks that confirmed it
    calm = (window.MIN_SEGMENT - 1 + END_QUIET) * recording.interval_s
    assert incident["window"]["end"] <= resolved.end - calm
    clock = incident.get("timestamps") or incident["metrics"][0]["timestamps"]
    assert clock[0] < opened.onset - TUNING.view_s / 2  # the baseline is in it
    entries = app.history.entries(incident_id=opened.incident)
    assert [(e.source, e.causes[0].cause) for e in entries] == [("watcher", cause)]
    state = ServerState.model_validate_json((tmp_path / "state" / "db.state.json").read_text())
    assert state.open is None and state.pending == [] and state.resolved == [opened.incident]
    assert not (tmp_path / "state" / "db.journal").exists()
    assert watch.status().state == "watching"


def test_a_watcher_restarted_mid_incident_resumes_it_and_repeats_nothing(
    locks_pg: Recording, app: Sleuth, tmp_path: Path
) -> None:
    events: list[WatchEvent] = []
    first = watch_of(app, tmp_path, locks_pg, events)
    opened_at = None
    for i, sample in enumerate(restamped(locks_pg.samples, START, locks_pg.interval_s)):
        first.observe(sample)
        if events:
            opened_at = i
            break
    assert opened_at is not None and [e.kind for e in events] == ["opened"]
    assert (tmp_path / "state" / "db.journal").exists()
    # a new process: only the files are left
    again: list[WatchEvent] = []
    second = watch_of(app, tmp_path, locks_pg, again)
    assert second.status().state == "incident" and second.status().incident == events[0].incident
    feed(second, locks_pg, opened_at + 4)
    assert [e.kind for e in again if e.kind in ("opened", "resolved")] == ["resolved"]
    assert again[-1].incident == events[0].incident
    assert len(app.history.entries(incident_id=events[0].incident)) == 1
    incident = json.loads(Path(again[-1].path or "").read_text())
    assert [e["description"] for e in incident["events"]] == ["monitoring gap: the watcher restarted"]


class _Flaky:
    """A server that refuses the first ``down`` connections, then serves the recording on every
    connection, going on where the last one stopped."""

    def __init__(self, replay: Replay, down: int) -> None:
        self.replay = replay
        self.down = down

    def __call__(self, _target: Target) -> Collector:
        if self.down > 0:
            self.down -= 1
            raise CollectError("cannot connect to postgresql://replay@127.0.0.1:1/r: connection refused")
        return self.replay


def test_an_unreachable_server_is_said_once_then_retried_and_a_lost_connection_is_a_gap(
    locks_pg: Recording, app: Sleuth, tmp_path: Path
) -> None:
    events: list[WatchEvent] = []
    fast = replace(TUNING, interval_s=0.1, view_s=6.0, settle_s=0.5, rediagnose_s=1.0, max_incident_s=12.0)
    start = onset_index(locks_pg) - 50
    replay = Replay(locks_pg, lose_at={70}, offset=start)
    flaky = _Flaky(replay, down=2)
    watch = ServerWatch(
        Target("db", "postgresql://replay@127.0.0.1:1/r", (), fast),
        app,
        spool(app, tmp_path),
        events.append,
        collector_factory=flaky,
    )
    stop = threading.Event()
    thread = threading.Thread(target=watch.run, args=(stop,), daemon=True)
    thread.start()
    try:
        for _ in range(600):
            if any(e.kind == "resolved" for e in events):
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(30)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["unreachable", "reconnected"]  # two refusals, one report
    assert kinds.count("unreachable") == 1
    assert "reconnected" in kinds[2:] and kinds[-1] == "stopped"
    assert "opened" in kinds and "resolved" in kinds
    assert replay.connects == replay.closed == 2
    resolved = next(e for e in events if e.kind == "resolved")
    incident = json.loads(Path(resolved.path or "").read_text())
    gaps = [e["description"] for e in incident["events"]]
    assert gaps and gaps[0].startswith("monitoring gap: connection lost (lost the connection to the replay)")
    state = ServerState.model_validate_json((tmp_path / "state" / "db.state.json").read_text())
    assert [g.reason for g in state.gaps][-1] == "connection lost (lost the connection to the replay)"
