"""A small real world for the UI: incident files, rule packs, the core fixture graph, the real service.

Nothing here imitates the core. The incidents are real incident files, the
rules real YAML packs the real loader compiles, the graph the core's own test
fixture, and the service the real ``Sleuth`` (with a tmp history and the
scripted model). What the UI shows is therefore what sleuth concludes.

The world is built in a directory the test then works in (``chdir``), with
relative paths, so titles, default export paths and rule locations read the
same on every machine and the snapshots do not depend on where tmp is.

- ``orders-locks``: row lock waits ×27, CPU at 95 %, latency up: the rules
  conclude lock contention and CPU saturation; labelled lock contention.
- ``orders-mystery``: lock waits only doubled: no rule fires; the planner,
  fed ``MYSTERY_ANSWERS``, concludes lock contention.
- ``orders-nometrics``: a valid file without a single metric series.
- ``broken``: not an incident at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from models import Diagnosis, Incident, Instance, MetricSeries, TimeWindow
from planner.backends.scripted import ScriptedModel
from sleuth import Settings, Sleuth
from tui.app.app import SleuthApp

REPO = Path(__file__).resolve().parents[2]
CORE_GRAPH = REPO / "tests" / "knowledge_graph" / "fixtures" / "core" / "graph.yaml"

T0 = 1_763_900_000.0
"""2025-11-23 12:13:20 UTC; the tests run with ``TZ=UTC``, so wall clocks read the same everywhere."""
STEP = 10.0
SAMPLES = 60
WINDOW = (40, 49)

LOCKS_PACK = """\
pack: locks
description: Row locks that pile up, and CPU that runs out
engines: [mysql]
rules:
  - id: lock_waits_pile_up
    title: Row lock waits pile up far above normal
    when:
      all:
        - {signal: row_lock_waits, direction: up, ratio: {gte: 3}}
    then: {cause: lock_contention}
    certainty: 0.8
    tests:
      - {incident: ../incidents/orders-locks.json, expect: [lock_contention]}
  - id: cpu_user_saturates
    title: User CPU runs near its limit
    when:
      all:
        - {signal: cpu_user, direction: up, anomaly: {gte: 80}}
    then: {cause: cpu_saturation}
    certainty: 0.6
  - id: disk_reads_climb
    title: Disk reads climb on MySQL
    when:
      all:
        - {signal: disk_read, direction: up, ratio: {gte: 2}}
    then: {cause: io_saturation}
    certainty: 0.7
"""

POSTGRES_PACK = """\
pack: pg_io
description: Reads that saturate the disks of a PostgreSQL server
engines: [postgres]
rules:
  - id: pg_disk_reads_saturate
    title: Disk reads climb on PostgreSQL
    when:
      all:
        - {signal: disk_read, direction: up, ratio: {gte: 2}}
    then: {cause: io_saturation}
    certainty: 0.7
"""

MYSTERY_ANSWERS = ["lock_waits", "compare_window_cpu_user", "lock_contention"]
"""The planner's two picks of checks and the reflection's choice for ``orders-mystery``."""


def series(name: str, unit: str, base: Callable[[int], float], peak: float) -> MetricSeries:
    values: list[float | None] = [base(t) for t in range(SAMPLES)]
    for t in range(WINDOW[0], WINDOW[1] + 1):
        values[t] = peak
    return MetricSeries(
        name=name, unit=unit, timestamps=[T0 + STEP * t for t in range(SAMPLES)], values=values
    )


def incident(incident_id: str, *, locks: float, cpu: float, labels: list[str] | None = None) -> Incident:
    """Sixty samples ten seconds apart with a step inside the window; latency goes under a vendor name."""
    start, end = T0 + STEP * WINDOW[0], T0 + STEP * WINDOW[1]
    return Incident(
        id=incident_id,
        title=f"{incident_id} on orders-db",
        instance=Instance(engine="mysql", version="8.0.35", instance_class="db.r6g.large", vcpu=2),
        metrics=[
            series("cpu_user", "%", lambda t: 20.0 + t % 3, cpu),
            series("row_lock_waits", "/s", lambda t: 1.0 + t % 2, locks),
            series("Combined Avg Latency", "ms", lambda t: 2.0 + (t % 2) * 0.1, 9.0),
        ],
        window=TimeWindow(start=start, end=end),
        labels=labels or [],
    )


def build(root: Path) -> None:
    """Write the incidents and the rule packs under ``root``."""
    incidents, rules = root / "incidents", root / "rules"
    incidents.mkdir(parents=True, exist_ok=True)
    rules.mkdir(exist_ok=True)
    files = {
        "orders-locks.json": incident("orders-locks", locks=40.0, cpu=95.0, labels=["lock_contention"]),
        "orders-mystery.json": incident("orders-mystery", locks=3.0, cpu=21.0),
    }
    for name, inc in files.items():
        (incidents / name).write_text(inc.model_dump_json(indent=1), encoding="utf-8")
    empty = Incident(
        id="orders-nometrics", title="a capture that lost its metrics", instance=Instance(engine="mysql")
    )
    (incidents / "orders-nometrics.json").write_text(empty.model_dump_json(), encoding="utf-8")
    (incidents / "broken.json").write_text('{"id": "broken"}', encoding="utf-8")
    (rules / "locks.yaml").write_text(LOCKS_PACK, encoding="utf-8")
    # Named to load first, so WHY NOT io_saturation meets a rule of another engine before this one's.
    (rules / "io_pg.yaml").write_text(POSTGRES_PACK, encoding="utf-8")


def service(root: Path, answers: list[str | Callable[[str], str]] | None = None) -> Sleuth:
    """The real service over ``root``'s rules (relative when working in ``root``), the core fixture
    graph, a history database in ``root`` and the scripted model with ``answers`` queued."""
    config = Settings(
        graph=[CORE_GRAPH],
        rules=[Path("rules")] if Path.cwd() == root.resolve() else [root / "rules"],
        history={"url": f"sqlite:///{root.resolve() / 'history.sqlite'}"},
    )
    return Sleuth(config, model=ScriptedModel(list(answers or [])))


def diagnosed(root: Path, name: str) -> Diagnosis:
    """What the core concludes for an incident of the world (rules only): the figures the UI must show.

    Tests take certainties from here rather than writing them down, so they hold the UI to the
    core while the core's calibration evolves.
    """
    return service(root).diagnose_file(Path("incidents") / name)


def figures(diagnosis: Diagnosis, rank: int = 0) -> tuple[str, str]:
    """(certainty, score) of a cause as every table shows them: two decimals."""
    cause = diagnosis.causes[rank]
    return f"{cause.certainty:.2f}", f"{cause.score:.2f}"


def app_in(root: Path, answers: list[str | Callable[[str], str]] | None = None) -> SleuthApp:
    """The app as ``sleuth tui incidents`` starts it from inside ``root`` (the caller has ``chdir``-ed)."""
    assert Path.cwd() == root.resolve(), "build the world, chdir into it, then start the app"
    return SleuthApp(service(root, answers), Path("incidents"))


def enter(root: Path) -> None:
    build(root)
    os.chdir(root)
