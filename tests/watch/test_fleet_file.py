"""The fleet file: what it accepts, how each mistake is placed (FILE:LINE:COL), and hostile files refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import Fleet, WatchTuning, json_schema
from models.fleet import seconds
from sleuth import Sleuth, UsageError, load_settings
from sleuth.watch.targets import FleetError, Tuning, fleet_targets, load_fleet, resolve
from tui.cli import main

GOOD = """\
defaults:
  interval: 2s
  view: 3m
servers:
  - name: orders-pg
    dsn_env: ORDERS_PG_DSN
    tags: [prod, eu]
    settings:
      interval: 500ms
      planner: never
  - name: billing-my
    dsn: mysql://monitor:pw@db2.example.com:3306/
    tags: [prod]
"""


def write(tmp_path: Path, text: str, name: str = "fleet.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_fleet_file_gives_each_server_its_dsn_tags_and_layered_settings(tmp_path: Path) -> None:
    fleet = load_fleet(write(tmp_path, GOOD))
    config = WatchTuning(ring=1200.0, settle=5.0)
    env = {"ORDERS_PG_DSN": "postgresql://monitor:s3cret@db1.example.com:5432/orders"}
    orders, billing = fleet_targets(fleet, config, env)
    assert (orders.name, orders.tags, orders.dsn) == ("orders-pg", ("prod", "eu"), env["ORDERS_PG_DSN"])
    # the server's own settings over the fleet's defaults over the config file's [watch] table
    assert orders.tuning == Tuning(interval_s=0.5, ring_s=1200.0, view_s=180.0, settle_s=5.0, planner="never")
    assert billing.tuning == Tuning(interval_s=2.0, ring_s=1200.0, view_s=180.0, settle_s=5.0)
    assert billing.where == "mysql://monitor:***@db2.example.com:3306/"
    assert "s3cret" not in repr(orders) and "s3cret" not in repr(fleet)


def test_a_missing_variable_is_named_with_its_server(tmp_path: Path) -> None:
    fleet = load_fleet(write(tmp_path, GOOD))
    with pytest.raises(UsageError) as caught:
        fleet_targets(fleet, WatchTuning(), {})
    assert str(caught.value) == "orders-pg: $ORDERS_PG_DSN is not set"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "servers:\n  - name: a\n    dsn_env: A\n    colour: red\n",
            "fleet.yaml:4:5 a: unknown field 'colour'",
        ),
        (
            "servers:\n  - name: a\n    dsn_env: A\n    settings:\n      interval: 5 parsecs\n",
            "fleet.yaml:5:17 a: settings.interval: not a duration: '5 parsecs' (use e.g. 1s, 15m, 500ms)",
        ),
        (
            "servers:\n  - name: a\n    dsn_env: A\n    settings:\n      interval: 10ms\n",
            "fleet.yaml:5:17 a: settings.interval: must be between 0.1 s and 3600 s (got 0.01 s)",
        ),
        (
            "servers:\n  - name: a\n    tags: [x]\n",
            "fleet.yaml:2:5 a: give exactly one of dsn and dsn_env",
        ),
        (
            "servers:\n  - name: a\n    dsn: postgresql://u:pw@h:5432/d\n  - name: a\n    dsn_env: B\n",
            "fleet.yaml:1:1 -: server name 'a' is used twice",
        ),
        (
            "servers:\n  - name: a\n    dsn: ftp://u:hunter2@h/\n",
            "fleet.yaml:3:10 a: DSN 'ftp://u:***@h/' must start with one of postgres://, postgresql://, mysql://, mariadb://",
        ),
        (
            "servers: []\n",
            "fleet.yaml:1:10 -: servers: List should have at least 1 item after validation, not 0",
        ),
        ("", "fleet.yaml:1:1 -: empty fleet file: list the servers under `servers:`"),
        ("servers:\n  - name: a\n  - name: a\n    x: [\n", None),
    ],
)
def test_each_mistake_is_one_line_at_its_place(tmp_path: Path, text: str, expected: str | None) -> None:
    path = write(tmp_path, text)
    with pytest.raises(FleetError) as caught:
        load_fleet(path)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}:") for line in lines)
    if expected is not None:
        assert lines == [f"{tmp_path}/{expected}"]
    assert "hunter2" not in str(caught.value)


def test_an_alias_bomb_is_refused_at_its_place_without_expanding(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path, "\n".join(levels) + "\nservers: *a8\n")
    with pytest.raises(FleetError) as caught:
        load_fleet(path)
    assert "nodes" in str(caught.value) and str(caught.value).startswith(f"{path}:")


def test_a_fifo_is_refused_never_read(tmp_path: Path) -> None:
    import os

    path = tmp_path / "fleet.yaml"
    os.mkfifo(path)
    with pytest.raises(FleetError) as caught:
        load_fleet(path)
    assert str(caught.value).startswith(f"{path}:1:1 -: cannot read")


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["ms", "s", "m", "h", ""]))
def test_durations_read_as_seconds(n: int, unit: str) -> None:
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}[unit]
    assert seconds(f"{n}{unit}") == pytest.approx(n * scale)
    assert seconds(n) == n


def test_a_view_longer_than_the_ring_or_too_short_for_the_test_is_refused() -> None:
    with pytest.raises(UsageError, match="must not be longer than ring"):
        resolve(WatchTuning(ring=120.0, view=600.0))
    with pytest.raises(UsageError, match="at least 40 samples"):
        resolve(WatchTuning(interval=5.0, view=120.0))


def test_the_schema_describes_the_file_and_accepts_written_durations() -> None:
    schema = json_schema("fleet")
    assert schema["title"] == "Fleet" and schema["required"] == ["servers"]
    interval = schema["$defs"]["WatchTuning"]["properties"]["interval"]
    assert {"type": "number", "minimum": 0} in interval["anyOf"]
    assert (
        Fleet.model_validate({"servers": [{"name": "x", "dsn_env": "X"}]}).servers[0].settings
        == WatchTuning()
    )


def test_sleuth_schema_fleet_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "fleet"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Fleet"


def test_watch_refuses_bad_usage_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, "servers:\n  - name: a\n    dsn_env: A\n    colour: red\n")
    state = ["--state", str(tmp_path / "s"), "--incidents", str(tmp_path / "i")]
    assert main(["watch", "--fleet", str(bad), *state]) == 2
    assert capsys.readouterr().err.splitlines() == [f"sleuth: {bad}:4:5 a: unknown field 'colour'"]
    assert main(["watch", "--ray", "--dsn", "postgresql://u@h/d", *state]) == 2
    assert "--ray shards a fleet" in capsys.readouterr().err
    assert main(["watch", "--dsn", "postgresql://u:topsecret@h:99999/d", *state]) == 2
    err = capsys.readouterr().err
    assert "port" in err and "topsecret" not in err
    assert not (tmp_path / "s").exists()


def test_watch_with_no_server_says_how_to_name_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLEUTH_DSN", raising=False)
    monkeypatch.setenv("SLEUTH_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    assert main(["watch"]) == 2
    assert capsys.readouterr().err.strip() == (
        "sleuth: no server to watch: pass --dsn, set $SLEUTH_DSN, or give --fleet FILE"
    )


def test_the_service_reads_the_watch_table_of_the_config(tmp_path: Path) -> None:
    config = write(tmp_path, '[watch]\ninterval = "2s"\nper_server_per_hour = 3\n', "config.toml")
    app = Sleuth(load_settings(config))
    (target,) = app.watch_targets(dsn="postgresql://u:pw@db:5432/d", name="db")
    assert (target.name, target.tuning.interval_s) == ("db", 2.0)
    assert app.settings.watch.per_server_per_hour == 3
