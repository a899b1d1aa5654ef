"""The service's use cases over the tiny fixture graph and a small real rule pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import Incident
from sleuth import DiagnoseOptions, Settings, Sleuth, UsageError
from tests.service.tiny import PACK, TINY_GRAPH, incident


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules" / "tiny.yaml"
    path.parent.mkdir()
    path.write_text(PACK)
    return path


@pytest.fixture
def app(rules: Path) -> Sleuth:
    return Sleuth(Settings(graph=[TINY_GRAPH], rules=[rules]))


def write(folder: Path, name: str, inc: Incident) -> Path:
    path = folder / name
    path.write_text(inc.model_dump_json())
    return path


def test_diagnose_uses_the_configured_graph_and_rules(app: Sleuth) -> None:
    dx = app.diagnose(incident("hot", 60.0))
    assert (dx.path, [c.cause for c in dx.causes], dx.causes[0].rules) == ("rules", ["c_cpu"], ["cpu_hot"])
    assert [r.id for r in dx.causes[0].remediations] == ["r_mid"]
    flat = app.diagnose(incident("flat", 0.0))
    assert (flat.path, flat.causes) == ("inconclusive", [])


def test_a_batch_streams_in_order_and_goes_on_past_a_bad_file(app: Sleuth, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    paths = [write(folder, f"{i:02d}.json", incident(f"inc-{i}", 60.0 if i % 2 else 0.0)) for i in range(6)]
    (folder / "03.json").write_text("{not json")
    serial = list(app.diagnose_files(paths, jobs=1))
    forked = list(app.diagnose_files(paths, jobs=2))
    for outcomes in (serial, forked):
        assert [o.path for o in outcomes] == paths
        assert [o.diagnosis.path if o.diagnosis else None for o in outcomes] == [
            "inconclusive",
            "rules",
            "inconclusive",
            None,
            "inconclusive",
            "rules",
        ]
        assert outcomes[3].error == (
            f"{paths[3]}: line 1 column 2: invalid JSON: Expecting property name enclosed in double quotes"
        )
    assert [o.diagnosis.causes if o.diagnosis else None for o in forked] == [
        o.diagnosis.causes if o.diagnosis else None for o in serial
    ]


def test_bad_options_are_usage_errors_before_any_work(app: Sleuth, rules: Path) -> None:
    with pytest.raises(UsageError) as err:
        app.check(DiagnoseOptions(disabled_rules=frozenset({"cpu_hott", "locks_up"})))
    assert str(err.value) == "--disable-rule: unknown rule id cpu_hott"
    with pytest.raises(UsageError) as err:
        app.check(DiagnoseOptions(rules=("none", str(rules))))
    assert str(err.value) == "--rules none cannot be combined with rule paths"
    app.check(DiagnoseOptions(rules=("none",)))


def test_rule_files_that_do_not_load_are_a_usage_error_with_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        PACK.replace("certainty: 0.9", "certainty: 9").replace("certainty: 0.8", "certainty: 8")
    )
    app = Sleuth(Settings(graph=[TINY_GRAPH], rules=[broken]))
    with pytest.raises(UsageError) as err:
        app.book()
    lines = str(err.value).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [f"{broken}:9:16", f"{broken}:16:16"]
    assert all("less than or equal to 1" in line for line in lines)


def test_a_broken_graph_file_is_a_usage_error(tmp_path: Path) -> None:
    graph = tmp_path / "graph.yaml"
    graph.write_text(
        TINY_GRAPH.read_text().replace("produces: {s_lat: 0.6, s_cpu: 0.9}", "produces: {s_nope: 0.6}")
    )
    with pytest.raises(UsageError) as err:
        _ = Sleuth(Settings(graph=[graph])).graph
    assert str(err.value).startswith(f"{graph}:")
    assert "s_nope" in str(err.value)


def test_a_failed_reload_keeps_the_rules_in_force(app: Sleuth, rules: Path) -> None:
    state = app.rules.state()
    assert (state.generation, state.rule_count, state.errors) == (1, 2, ())
    rules.write_text(PACK.replace("certainty: 0.9", "certainty: 9"))
    broken = app.rules.reload()
    assert (broken.generation, broken.packs) == (1, state.packs)
    assert len(broken.errors) == 1 and broken.errors[0].startswith(f"{rules}:9:16 cpu_hot:")
    assert app.diagnose(incident("hot", 60.0)).causes[0].cause == "c_cpu"
    rules.write_text(PACK.replace("ratio: {gte: 2}", "ratio: {gte: 100}", 1))
    assert app.rules.reload().generation == 2
    assert app.diagnose(incident("hot", 60.0)).causes == []


def test_why_not_names_close_causes_for_a_typo(app: Sleuth) -> None:
    with pytest.raises(UsageError) as err:
        app.why_not(incident("hot", 60.0), "c_cpv")
    assert str(err.value) == (
        "unknown cause 'c_cpv': not a cause of the knowledge graph "
        "(see `sleuth kg stats`, `sleuth kg show CAUSE`); did you mean c_cpu?"
    )
    why = app.why_not(incident("flat", 0.0), "c_cpu")
    assert why.cause == "c_cpu" and why.summary.startswith("c_cpu was not concluded")


def test_graph_views_for_explorers(app: Sleuth) -> None:
    causes = {c.id: c for c in app.kg_causes()}
    assert sorted(causes) == app.cause_ids() == ["c_cpu", "c_io", "c_lock"]
    lock = causes["c_lock"]
    assert [(s.id, [(m.id, m.direction) for m in s.metrics]) for s in lock.symptoms] == [
        ("s_lat", [("m_lat", "up")]),
        ("s_locks", [("m_locks", "up")]),
        ("s_seen", []),
    ]
    assert [r.id for r in lock.remediations] == ["r_lo", "r_hi"]
    assert app.canonical_metrics(["Lat", "m_cpu", "nope"]) == {"Lat": "m_lat", "m_cpu": "m_cpu", "nope": None}
