"""``sleuth watch`` on the lab's real servers: anomalies caught as they start, a restart that is no
incident, a kill -9 that repeats nothing, a fleet of four on one process and on two Ray actors.

Short intervals and views keep these within a few minutes (``tests.watch.scenario.FAST``); every
lab anomaly, one round each with the same tuning, is ``python -m bench.bench_watch anomalies``.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from lab.db import lab_dsn
from lab.env import Lab, lab_dir
from lab.injector import Injector
from lab.injectors import ANOMALIES, background, prepare
from sleuth import Sleuth, load_settings
from sleuth.watch.spool import DIAGNOSIS_SUFFIX
from sleuth.watch.state import ServerState
from tests.watch import REPO
from tests.watch.conftest import servers
from tests.watch.process import WatchProcess
from tests.watch.scenario import FAST, Server, armed, watched_round, watching

pytestmark = pytest.mark.live

CONFIG = """\
[watch]
interval = "0.5s"
view = "30s"
settle = "3s"
max_incident = "2m"
rediagnose = "5s"
planner = "never"
"""
# Time for the detector's view to hold a baseline of normal running before an anomaly.
BASELINE_S = 28.0


def test_anomalies_on_both_servers_are_notified_as_they_start_with_the_right_top_cause(
    lab: Lab, tmp_path: Path
) -> None:
    pg, maria = servers(lab)
    rounds = [
        [(pg, "lock_contention"), (maria, "missing_index")],
        [(pg, "cpu_heavy"), (maria, "lock_contention")],
    ]
    outcomes = []
    with watching([pg, maria], tmp_path) as (runner, events, loads):
        for i, cases in enumerate(rounds):
            armed_round = armed(cases, seed=i)
            time.sleep(BASELINE_S)
            outcomes += watched_round(events, armed_round)
        statuses = runner.statuses()
        # one opening per anomaly and nothing else, in the order the servers noticed them
        by_time = sorted((o.opened for o in outcomes if o.opened is not None), key=lambda e: e.time)
        assert [e for e in events.seen if e.kind == "opened"] == by_time
        assert all(not load.errors for load in loads)
    report = "\n".join(o.line() for o in outcomes)
    print(report)  # the per-anomaly latencies, for the benchmarks (pytest -s)
    assert all(o.right for o in outcomes), report
    latencies = [o.latency_s for o in outcomes if o.latency_s is not None]
    assert statistics.median(latencies) <= 20.0, report
    for outcome in outcomes:
        assert outcome.opened is not None and outcome.resolved is not None
        assert outcome.resolved.incident == outcome.opened.incident
        path = Path(outcome.resolved.path or "")
        incident = json.loads(path.read_text())
        assert incident["window"]["start"] == outcome.opened.onset
        assert incident["instance"]["engine"] in ("postgres", "mariadb")
    assert {s.name: s.state for s in statuses} == {"lab-pg": "watching", "lab-mariadb": "watching"}
    history = Sleuth(load_settings(history={"url": f"sqlite:///{tmp_path / 'history.sqlite'}"})).history
    recorded = {e.incident_id for e in history.entries(limit=50)}
    assert recorded == {o.opened.incident for o in outcomes if o.opened is not None}


def _restart(script: str) -> None:
    done = subprocess.run(
        ["bash", str(REPO / "lab" / script), "restart"],
        env={**os.environ, "SLEUTH_LAB_DIR": str(lab_dir())},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_server_restart_is_a_gap_in_the_watch_not_an_incident(lab: Lab, tmp_path: Path) -> None:
    pg, maria = servers(lab)
    tuning = replace(FAST, settle_s=10.0)
    with watching([pg, maria], tmp_path, tuning) as (runner, events, loads):
        time.sleep(BASELINE_S)
        before = {s.name: s.samples for s in runner.statuses()}
        for load in loads:
            load.stop()
        restarted_at = time.time()
        # Each server's clients come back as soon as it is up again, as an application's pool
        # reconnects: a server left idle while the other restarts would see its load return after
        # its settling, a step from idle to busy that the watcher rightly calls an onset.
        fresh: list[Injector] = []
        try:
            for server, script in ((pg, "pg.sh"), (maria, "mariadb.sh")):
                _restart(script)
                fresh.append(background(lab_dsn(server.admin), max_seconds=600))
                fresh[-1].start()
            for server in (pg, maria):
                assert events.wait_for("reconnected", server.name, restarted_at, 60.0) is not None
            time.sleep(tuning.settle_s + 25.0)
            after = {s.name: (s.samples, s.state) for s in runner.statuses()}
        finally:
            for load in fresh:
                load.stop()
    assert [e for e in events.seen if e.kind == "opened"] == []
    for server in (pg, maria):
        samples, state = after[server.name]
        assert state == "watching" and samples > before[server.name] + 40, _onsets(tmp_path, server.name)
        reconnected = events.wait_for("reconnected", server.name, restarted_at, 0)
        assert reconnected is not None and "gap of" in reconnected.message
        saved = ServerState.model_validate_json(
            (tmp_path / "state" / f"{server.name}.state.json").read_text()
        )
        (gap,) = saved.gaps
        assert restarted_at - 1.0 <= gap.start < gap.end and "connection lost" in gap.reason


def _onsets(spooled: Path, server: str) -> str:
    """What each incident the watcher opened on ``server`` moved most, and when against its first
    sample: what a failed run needs to be read when its captures are gone."""
    app = Sleuth(load_settings())
    lines = []
    for path in sorted((spooled / "incidents" / server).glob("*.json")):
        if path.name.endswith(DIAGNOSIS_SUFFIX):
            continue
        incident = app.load_incident(path)
        onset = incident.window.start if incident.window else 0.0
        # without the watcher's window, so the diagnosis infers one and says what moved in it
        diagnosis = app.diagnose(incident.model_copy(update={"window": None}))
        health = diagnosis.health
        strongest = health.strongest if health else None
        lines.append(
            f"{path.name}: top={diagnosis.causes[0].cause if diagnosis.causes else None} "
            + (
                f"strongest {strongest.metric} {strongest.baseline:.4g}->{strongest.anomaly:.4g} "
                f"({strongest.score:+.1f} noise) at {strongest.window.start - onset:+.1f}s from the onset"
                if strongest
                else "nothing moved"
            )
        )
    return f"{server}: " + ("; ".join(lines) or "no incident file")


def test_a_watcher_killed_during_an_incident_resumes_it_without_repeating_anything(
    lab: Lab, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    hook_out = tmp_path / "hook.jsonl"
    hook = tmp_path / "hook.py"
    hook.write_text(f"import sys\nopen({str(hook_out)!r}, 'a').write(sys.stdin.read() + '\\n')\n")
    args = [
        "--dsn", lab.pg, "--name", "lab-pg", "--config", str(config),
        "--incidents", str(tmp_path / "incidents"), "--state", str(tmp_path / "state"),
        "--history", f"sqlite:///{tmp_path / 'history.sqlite'}",
        "--hook", f"{sys.executable} {hook}",
    ]  # fmt: skip
    admin = lab_dsn(lab.pg_admin)
    prepare(admin)
    load = background(admin, max_seconds=600)
    load.start()
    injector = ANOMALIES["lock_contention"].make(admin, random.Random(3))
    log = tmp_path / "watch.log"
    try:
        first = WatchProcess(args, log=log)
        assert first.wait_for("connected", "lab-pg", 30) is not None
        time.sleep(BASELINE_S)
        injector.start()
        opened = first.wait_for("opened", "lab-pg", 40)
        assert opened is not None, log.read_text()
        for _ in range(100):  # the hook has run for it: the incident is open and notified
            if hook_out.exists() and hook_out.read_text().strip():
                break
            time.sleep(0.1)
        first.kill()  # SIGKILL: no chance to flush or say goodbye
        second = WatchProcess(args, log=log)
        assert second.wait_for("connected", "lab-pg", 30) is not None
        time.sleep(3)
        injector.stop()
        resolved = second.wait_for("resolved", "lab-pg", 60)
        assert second.terminate() == 0
    finally:
        injector.stop()
        load.stop()
    assert resolved is not None, log.read_text()
    assert resolved["incident"] == opened["incident"]
    assert "opened" not in second.kinds()
    told = [json.loads(line) for line in hook_out.read_text().splitlines() if line.strip()]
    assert [(t["kind"], t["incident"]) for t in told] == [
        ("opened", opened["incident"]),
        ("resolved", opened["incident"]),
    ]
    history = Sleuth(load_settings(history={"url": f"sqlite:///{tmp_path / 'history.sqlite'}"})).history
    entries = history.entries(incident_id=opened["incident"])
    assert len(entries) == 1 and entries[0].source == "watcher"
    assert entries[0].causes[0].cause == "lock_contention"
    incident = json.loads(Path(resolved["path"]).read_text())
    assert any("the watcher restarted" in e["description"] for e in incident["events"])
    state = ServerState.model_validate_json((tmp_path / "state" / "lab-pg.state.json").read_text())
    assert state.open is None and state.resolved == [opened["incident"]]


def _fleet_file(tmp_path: Path, four: list[Server]) -> tuple[Path, dict[str, str]]:
    env = {f"SLEUTH_TEST_{s.name.upper().replace('-', '_')}": s.monitor for s in four}
    lines = ["servers:"]
    for server, var in zip(four, env, strict=True):
        lines += [f"  - name: {server.name}", f"    dsn_env: {var}", f"    tags: [lab, {server.engine}]"]
    path = tmp_path / "fleet.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path, env


def _fleet_run(
    fleet: Path, env: dict[str, str], tmp: Path, four: list[Server], extra: list[str]
) -> list[tuple[str, tuple[str, ...]]]:
    """One watch of the fleet with two anomalies injected; the (server, causes) of each resolved incident."""
    config = tmp / "config.toml"
    config.write_text(CONFIG)
    args = [
        "--fleet", str(fleet), "--config", str(config), "--incidents", str(tmp / "incidents"),
        "--state", str(tmp / "state"), "--history", f"sqlite:///{tmp / 'history.sqlite'}", *extra,
    ]  # fmt: skip
    loads = []
    for server in four:
        admin = lab_dsn(server.admin)
        prepare(admin)
        loads.append(background(admin, max_seconds=600))
    for load in loads:
        load.start()
    proc = WatchProcess(args, env=env, log=tmp / "watch.log")
    try:
        for server in four:
            assert proc.wait_for("connected", server.name, 60) is not None, (tmp / "watch.log").read_text()
        # Anomalies that wait rather than burn: a CPU-bound one on a 2-core box with four servers and
        # their loads starves the quiet servers' clients and the watcher's own sampling (its queries
        # are part of what a quiet server does), and the quiet servers' work then falls for real.
        cases = [(four[1], "lock_contention"), (four[2], "lock_contention")]
        injectors = [injector for _, _, injector in armed(cases, seed=7)]
        time.sleep(BASELINE_S)
        for injector in injectors:
            injector.start()
        try:
            for server, _ in cases:
                assert proc.wait_for("opened", server.name, 40) is not None, (tmp / "watch.log").read_text()
            time.sleep(4)
        finally:
            for injector in injectors:
                injector.stop()
        for server, _ in cases:
            assert proc.wait_for("resolved", server.name, 60) is not None
        assert proc.terminate() == 0
    finally:
        if proc.proc.poll() is None:
            proc.kill()
        for load in loads:
            load.stop()
    # each resolved incident's server and the causes it was told with (the top cause of each is
    # the first live test's to judge: four servers and their loads keep the two cores here busy, so
    # a concurrent CPU contention is as real as the injected cause and may rank first)
    return sorted(
        (e["server"], tuple(sorted(c["cause"] for c in e["causes"])))
        for e in proc.lines
        if e["kind"] == "resolved"
    )


def test_a_fleet_of_four_finds_the_same_incidents_in_one_process_and_on_two_ray_actors(
    lab: Lab, second_lab: Lab, tmp_path: Path
) -> None:
    four = [*servers(lab), *servers(second_lab, "-b")]
    fleet, env = _fleet_file(tmp_path, four)
    (tmp_path / "one").mkdir()
    (tmp_path / "ray").mkdir()
    alone = _fleet_run(fleet, env, tmp_path / "one", four, [])
    on_ray = _fleet_run(fleet, env, tmp_path / "ray", four, ["--ray", "--actors", "2"])
    for run in (alone, on_ray):
        assert [server for server, _ in run] == ["lab-mariadb", "lab-pg-b"], run
        assert all("lock_contention" in causes for _, causes in run), run
    history = Sleuth(
        load_settings(history={"url": f"sqlite:///{tmp_path / 'ray' / 'history.sqlite'}"})
    ).history
    assert sorted(e.incident_id.split("-2")[0] for e in history.entries()) == [
        "watch-lab-mariadb",
        "watch-lab-pg-b",
    ]
