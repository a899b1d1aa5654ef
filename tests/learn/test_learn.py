from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge_graph import KnowledgeGraph
from models import Incident
from rules import RuleBook, diagnose_with_rules
from rules.book import check
from rules.learn import Example, learn_pack
from rules.learn.rows import standardised_rows
from rules.loader import parse_pack
from rules.signals import extract_signals
from sleuth import Sleuth, load_settings
from sleuth.history.learning import file_examples
from sleuth.history.loo import leave_one_out
from sources.incident_files import load_incident, write_incident

CAUSES = (
    "cpu_saturation",
    "db_backup",
    "flush_log_table",
    "io_saturation",
    "lock_contention",
    "network_congestion",
    "poor_physical_design",
    "poorly_written_query",
    "table_restore",
    "workload_spike",
)


@pytest.fixture(scope="module")
def learned(dev_cases: list[Path], graph: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "dbsherlock.yaml"
    examples, skipped = file_examples(dev_cases, load_incident)
    assert skipped == []
    pack = learn_pack(examples, graph, name="dbsherlock", out=out)
    out.write_text(pack.text, encoding="utf-8")
    return out


def test_the_learned_pack_is_lint_clean_and_concludes_only_graph_causes(
    learned: Path, graph: KnowledgeGraph
) -> None:
    packs, problems = check([learned], graph)
    assert problems == []
    rules = packs[0].pack.rules
    assert {r.then.cause for r in rules} == set(CAUSES)
    assert all(r.id.startswith("dbsherlock_") for r in rules)
    assert all(0 < r.certainty < 1 for r in rules)


def test_the_pack_says_it_was_learned_and_from_what(learned: Path) -> None:
    data = yaml.safe_load(learned.read_text(encoding="utf-8"))
    assert data["pack"] == "dbsherlock"
    assert data["engines"] == ["mysql"]
    assert data["description"].startswith("Rules learned from 70 labelled incidents with DBSherlock's")
    assert "lock_contention (7)" in data["description"]
    assert learned.read_text(encoding="utf-8").startswith(
        "# Learned by `sleuth rules learn` from 70 incidents"
    )


def test_its_inline_tests_point_at_the_training_incidents_and_pass(
    learned: Path, dev_cases: list[Path]
) -> None:
    data = yaml.safe_load(learned.read_text(encoding="utf-8"))
    tested = {(learned.parent / t["incident"]).resolve() for r in data["rules"] for t in r["tests"]}
    assert tested and tested <= {p.resolve() for p in dev_cases}
    outcomes = Sleuth(load_settings()).test_rules([learned])
    assert outcomes and all(o.passed for o in outcomes), [str(o) for o in outcomes if not o.passed]


def test_on_its_own_training_incidents_the_pack_ranks_the_true_cause_first(
    learned: Path, dev_cases: list[Path], graph: KnowledgeGraph
) -> None:
    book = RuleBook([parse_pack(learned.read_text(encoding="utf-8"), str(learned))])
    incidents = [load_incident(p) for p in dev_cases]
    right = sum(diagnose_with_rules(i, book, graph).causes[0].cause == i.labels[0] for i in incidents)
    assert right == len(incidents)


def test_a_label_the_graph_does_not_know_gets_no_rule_and_the_pack_says_how_to_add_it(
    dev_cases: list[Path], graph: KnowledgeGraph
) -> None:
    incidents = [load_incident(p) for p in dev_cases if p.stem.startswith(("cpu_saturation", "db_backup"))]
    examples = [
        Example(i, ("vacuum_storm",) if i.labels[0] == "db_backup" else tuple(i.labels)) for i in incidents
    ]
    pack = learn_pack(examples, graph)
    assert pack.unknown_causes == {"vacuum_storm": 7}
    assert {r.cause for r in pack.rules} == {"cpu_saturation"}
    assert "No rule concludes vacuum_storm (7): not causes of the knowledge graph" in " ".join(
        pack.pack.description.split()
    )
    assert "define it under `causes:` in a knowledge-graph file" in " ".join(pack.pack.description.split())


def test_leave_one_out_on_three_causes_ranks_the_held_out_cause_first(
    dev_cases: list[Path], graph: KnowledgeGraph
) -> None:
    chosen = [
        p for p in dev_cases if p.stem.startswith(("lock_contention", "workload_spike", "table_restore"))
    ]
    examples, _ = file_examples(chosen, load_incident)
    result = leave_one_out(examples, graph, ["rules", "retrieval"])
    assert result.cases == 21
    assert result.rules is not None and result.rules.top1 >= 0.9
    assert result.retrieval is not None and result.retrieval.top1 == 1.0


def test_the_rows_are_in_the_units_of_the_signals_score(dev_cases: list[Path], graph: KnowledgeGraph) -> None:
    # a mined bound is tested against the window's ``score``: the window median of the rows must be it
    incident = load_incident(dev_cases[0])
    assert incident.window is not None
    signals = {f.name: f for f in extract_signals(incident, graph).facts}
    rows = standardised_rows(incident, incident.window, graph)
    assert len(rows.metrics) > 40
    for i, metric in enumerate(rows.metrics):
        window = rows.z[i][rows.abnormal]
        median = float(sorted(window)[len(window) // 2] + sorted(window)[(len(window) - 1) // 2]) / 2
        assert median == pytest.approx(float(signals[metric].attrs["score"]), rel=1e-3, abs=1e-3)


def test_unlabelled_and_unreadable_files_are_skipped_with_the_reason(
    tmp_path: Path, dev_cases: list[Path]
) -> None:
    plain = load_incident(dev_cases[0]).model_copy(update={"labels": []})
    unlabelled = write_incident(plain, tmp_path / "plain.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    examples, skipped = file_examples([unlabelled, broken, dev_cases[0]], load_incident)
    assert [e.path for e in examples] == [dev_cases[0]]
    assert skipped[0] == f"{unlabelled}: no labels (a `labels` list of cause ids) to learn from"
    assert skipped[1].startswith(f"{broken}: ")


def test_running_totals_are_not_mined(dev_cases: list[Path], graph: KnowledgeGraph) -> None:
    incident: Incident = load_incident(dev_cases[0])
    assert incident.window is not None
    rows = standardised_rows(incident, incident.window, graph)
    assert "rows_changed_total" not in rows.metrics
    assert "rows_changed" in rows.metrics
