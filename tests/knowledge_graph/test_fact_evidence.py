"""Observations the rules derive (lock snapshots, statements, events, settings) as graph evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_graph import GraphLoadError, KnowledgeGraph, load_graph
from models import Fact


def observation(name: str, certainty: float = 1.0, **attrs: float | str | bool) -> Fact:
    return Fact(kind="observation", name=name, attrs=attrs, certainty=certainty, source="observations")


def test_lock_snapshot_shows_blocker_hot_rows_and_idle_transaction(kg: KnowledgeGraph) -> None:
    snapshot = observation(
        "lock_waits",
        count=12.0,
        sessions_waiting=8.0,
        blockers=1.0,
        max_wait_s=95.0,
        blockers_idle_in_transaction=1.0,
        top_blocker_share=1.0,
        objects=1.0,
    )
    assert kg.observed_symptoms([snapshot]) == {
        "blocking_session_found",
        "hot_row_contention",
        "idle_in_transaction_up",
        "long_running_query_found",
    }


def test_events_count_only_near_the_window(kg: KnowledgeGraph) -> None:
    near = observation("event", kind="config_change", near_window=True, parameter="work_mem")
    far = observation("event", kind="failover", near_window=False)
    assert kg.observed_symptoms([near, far]) == {"config_changed"}


def test_statement_shape_and_share(kg: KnowledgeGraph) -> None:
    heavy = observation("top_sql", rank=1.0, share_of_time=0.6, correlated_subquery=True, statement="select")
    light = observation("top_sql", rank=2.0, share_of_time=0.05, boolean_terms=40.0, statement="select")
    assert kg.observed_symptoms([heavy, light]) == {"slow_statement_found", "correlated_subquery_found"}


def test_unsure_observations_show_nothing(kg: KnowledgeGraph) -> None:
    assert (
        kg.observed_symptoms([observation("settings", certainty=0.4, connections_used_share=0.97)]) == set()
    )
    assert kg.observed_symptoms([observation("settings", connections_used_share=0.97)]) == {
        "connection_limit_reached"
    }


def test_a_snapshot_without_blockers_counts_against_lock_contention(kg: KnowledgeGraph) -> None:
    quiet = observation("lock_waits", count=0.0, sessions_waiting=0.0, blockers=0.0, objects=0.0)
    [ranked] = kg.rank({"lock_contention": 0.8}, [quiet])
    weights = kg.symptoms_of("lock_contention")
    assert ranked.missing == pytest.approx(weights["blocking_session_found"] / sum(weights.values()))
    assert ranked.score == pytest.approx(0.8 * 0.5 * (1 - 0.5 * ranked.missing))


def _shown_by(tmp_path: Path, where: str) -> KnowledgeGraph:
    """A graph whose one symptom ``s`` is shown by a fact ``x`` passing the tests ``where``."""
    path = tmp_path / "g.yaml"
    path.write_text(
        f"symptoms:\n  s: {{title: S, shown_by: [{{fact: x, where: {where}}}]}}\n", encoding="utf-8"
    )
    return load_graph([path])


@pytest.mark.parametrize(
    ("where", "attrs", "shown"),
    [
        ("{n: {gte: 1}}", {"n": 1.0}, True),
        ("{n: {gt: 1}}", {"n": 1.0}, False),
        ("{n: {gt: 0, lt: 2}}", {"n": 1}, True),
        ("{n: {ne: 3}}", {"n": 3.0}, False),
        ("{n: {eq: 3}}", {"n": True}, False),  # a flag is not a number
        ("{n: {lte: 5}}", {}, False),  # a missing attribute fails
        ("{flag: true}", {"flag": True}, True),
        ("{flag: true}", {"flag": 1.0}, False),
        ("{kind: backup}", {"kind": "backup"}, True),
        ("{kind: backup}", {"kind": "restore"}, False),
        ("{}", {"anything": 1.0}, True),
    ],
)
def test_attribute_tests(
    tmp_path: Path, where: str, attrs: dict[str, float | str | bool], shown: bool
) -> None:
    graph = _shown_by(tmp_path, where)
    assert graph.observed_symptoms([observation("x", **attrs)]) == ({"s"} if shown else set())


def test_a_bound_written_as_text_is_a_located_problem(tmp_path: Path) -> None:
    with pytest.raises(GraphLoadError) as caught:
        _shown_by(tmp_path, '{n: {gte: "1"}}')
    assert [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems] == [
        "g.yaml:2:55 s: shown_by[0].where.n.gte: '1' is text, not a number (drop the quotes)",
    ]


def test_neighbourhood_text_spells_out_fact_tests(kg: KnowledgeGraph) -> None:
    assert kg.neighbourhood_text("failover_event").splitlines()[:3] == [
        "symptom failover_event: Failover or reboot event (shown by a check)",
        "  shown by: event where kind = failover, near_window = true",
        "  shown by: event where kind = reboot, near_window = true",
    ]
    assert kg.neighbourhood_text("statement_spills_to_disk").splitlines()[1] == (
        "  shown by: top_sql where share_of_time >= 0.1, temp_disk_tables_per_call >= 1"
    )
