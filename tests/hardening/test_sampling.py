"""A capture keeps to its duration and never samples faster than the floor, however slow the server."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import sleuth.live as sleuth_live
from models import Incident
from sources.live import collect
from sources.live.dsn import Dsn
from sources.live.errors import CollectError
from sources.live.sample import Sample
from sources.live.sampler import MIN_INTERVAL_S, OnSample
from tests.live.fakes import FakeClock, ScriptedCollector
from tui.cli import main

DSN = "postgresql://u:pw@db.example:5432/app"


def _collector(clock: FakeClock, cost_s: float, n: int = 100) -> ScriptedCollector:
    return ScriptedCollector(
        counters=[{"pg_stat_database.xact_commit": 10.0 * i} for i in range(n)],
        gauges=[{"pg_stat_activity.total": float(i)} for i in range(n)],
        clock=clock,
        cost_s=cost_s,
    )


@pytest.mark.parametrize("cost_s", [0.0, 0.05, 0.35, 1.7])
def test_the_capture_ends_at_its_duration_however_slow_each_snapshot(cost_s: float) -> None:
    clock = FakeClock()
    seen: list[tuple[int, float]] = []
    coll = _collector(clock, cost_s)
    collect(DSN, 2.0, 0.1, collector=coll, clock=clock, on_sample=lambda i, s: seen.append((i, s.time)))
    # the last snapshot starts no later than half an interval past the end (stamps are to the ms)
    assert seen[-1][1] - seen[0][1] <= 2.0 + 0.05 + 1e-3
    assert [i for i, _ in seen] == list(range(len(seen))) and len(seen) <= 21
    # never faster than the interval
    assert min(b - a for (_, a), (_, b) in itertools.pairwise(seen)) >= 0.1 - 1e-3


def test_a_slow_server_skips_slots_instead_of_bursting() -> None:
    clock = FakeClock()
    coll = _collector(clock, cost_s=0.35)
    collect(DSN, 2.0, 0.1, collector=coll, clock=clock)
    assert coll.calls == 6  # every 0.35 s over 2 s (plus the first), not 21 snapshots back to back
    assert max(clock.sleeps, default=0.0) < 0.1


@pytest.mark.parametrize("interval", [0.0, 0.001, 0.099, -1.0, float("nan"), float("inf")])
def test_an_interval_below_the_floor_is_refused(interval: float) -> None:
    with pytest.raises(CollectError) as info:
        collect(DSN, 2.0, interval, collector=_collector(FakeClock(), 0.0), clock=FakeClock())
    assert str(info.value).startswith(("interval must be at least 100 ms", "duration must be"))


def test_the_command_line_refuses_a_fast_interval_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["collect", "--dsn", DSN, "--interval", "0.001s", "--out", "x.json"])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "sleuth collect: error: argument --interval: must be at least 100ms, got '0.001s'"
    )
    assert MIN_INTERVAL_S == 0.1


def test_sample_times_stay_on_one_timeline() -> None:
    clock = FakeClock()
    samples: list[Sample] = []
    collect(
        DSN, 1.0, 0.2, collector=_collector(clock, 0.3), clock=clock, on_sample=lambda i, s: samples.append(s)
    )
    times = [s.time for s in samples]
    assert times == sorted(times) and len(set(times)) == len(times)


@pytest.mark.parametrize(("flags", "masked"), [([], True), (["--keep-literals"], False)])
def test_keep_literals_reaches_the_collectors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flags: list[str], masked: bool
) -> None:
    asked: list[bool] = []

    def fake(
        dsn: Dsn, duration: float, interval: float, *, on_sample: OnSample, mask_literals: bool
    ) -> Incident:
        asked.append(mask_literals)
        raise CollectError("cannot connect: refused")

    monkeypatch.setattr(sleuth_live, "collect", fake)
    assert main(["collect", "--dsn", DSN, "--out", str(tmp_path / "c.json"), *flags]) == 1
    assert main(["diagnose", "--no-llm", "--dsn", DSN, *flags]) == 1
    assert asked == [masked, masked]
