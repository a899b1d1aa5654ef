"""Significance is not size: a departure is an incident only when it moves what an incident moves."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge_graph import KnowledgeGraph, load_default_graph
from rules import diagnose_with_rules, window
from rules.book import RuleBook, load_rulebook
from rules.materiality import DIRECTION_REL, material, service_rows
from rules.segmentation import fit_scalings
from sources.evalsets import healthy_slices
from tests.rules.signal_support import dbsherlock_case

# Three metrics over 40 samples that step up by half from sample 30: the segment 30..39.
STEPPED = np.array([[10.0] * 30 + [15.0] * 10] * 3)
SPAN = (30, 39)
FAR = np.array([8.0, 8.0, 8.0])  # each move in noise units, as the healthy test weighed it


def test_three_moves_one_of_the_service_are_an_incident() -> None:
    assert material(STEPPED, SPAN, FAR, service_rows(["queries", "dirty_pages", "pages_flushed"]))


def test_housekeeping_alone_is_no_incident_however_far_it_moves() -> None:
    assert not material(
        STEPPED, SPAN, FAR, service_rows(["dirty_pages", "pages_flushed", "buffers_checkpoint"])
    )


def test_a_resource_pushed_toward_its_limit_is_an_incident_before_the_clients_feel_it() -> None:
    assert material(STEPPED, SPAN, FAR, service_rows(["cpu_idle", "dirty_pages", "pages_flushed"]))


def test_fewer_than_three_metrics_moving_is_no_incident() -> None:
    service = service_rows(["queries", "latency", "commits"])
    assert not material(STEPPED, SPAN, np.array([8.0, 8.0, 1.0]), service)
    assert not material(STEPPED[:2], SPAN, FAR[:2], service[:2])


def test_the_service_must_move_as_far_as_some_rule_asks() -> None:
    service = service_rows(["queries", "dirty_pages", "pages_flushed"])
    # a step by half is a relative move of a third: enough for a bar of a fifth, not for one of a half
    assert material(STEPPED, SPAN, FAR, service, bar=0.2)
    assert not material(STEPPED, SPAN, FAR, service, bar=0.5)
    assert material(STEPPED, SPAN, FAR, service, bar=DIRECTION_REL)


def test_metrics_sleuth_cannot_place_are_judged_by_their_moves_alone() -> None:
    graph = load_default_graph()
    assert material(STEPPED, SPAN, FAR, service_rows(["a0", "a1", "a2"], graph.has_metric))
    # one it can place, and housekeeping: the service clause stands
    assert not material(STEPPED, SPAN, FAR, service_rows(["a0", "a1", "dirty_pages"], graph.has_metric))


def test_missing_samples_are_left_out_of_the_means() -> None:
    gappy = STEPPED.copy()
    gappy[:, 5] = np.nan
    assert material(gappy, SPAN, FAR, service_rows(["queries", "latency", "commits"]))


@pytest.fixture(scope="module")
def shipped() -> tuple[RuleBook, KnowledgeGraph]:
    return load_rulebook(), load_default_graph()


def test_the_page_cleaner_of_a_healthy_server_is_significant_but_healthy(
    shipped: tuple[RuleBook, KnowledgeGraph],
) -> None:
    """DBSherlock's normal stretch before a workload spike: InnoDB flushing dirty pages in bursts."""
    book, kg = shipped
    before = healthy_slices(dbsherlock_case("workload_spike-06"))[0]
    d = diagnose_with_rules(before, book, kg)
    assert (d.path, d.causes) == ("healthy", [])
    assert d.health is not None and d.health.healthy
    assert d.health.p_value <= 0.01 and d.health.material is False
    assert d.health.strongest is not None and d.health.strongest.metric == "pages_flushed"


def test_a_neighbours_process_taking_the_processors_is_an_incident(
    shipped: tuple[RuleBook, KnowledgeGraph],
) -> None:
    """DBSherlock's CPU saturation: the server's own work barely moves, its processors are taken."""
    book, kg = shipped
    d = diagnose_with_rules(dbsherlock_case("cpu_saturation-01"), book, kg, infer_window=True)
    assert d.health is not None and not d.health.healthy and d.health.material is True
    assert d.path == "rules" and d.causes[0].cause == "cpu_saturation"


@pytest.mark.parametrize(
    ("onset", "start"),
    # between two samples the step is split over both: the sample less than halfway up is the lead-in's
    [(3.0, 7), (1.4, 8)],
    ids=["at-a-sample", "between-samples"],
)
def test_sessions_busy_from_the_onset_to_the_end_of_a_capture_are_moves(onset: float, start: int) -> None:
    """Three compute-bound sessions from the eighth sample to the end: the session counts step once
    and stay, exactly (a count has no noise), beside a noisy statement time."""
    rng = np.random.default_rng(7)
    step = np.r_[np.zeros(7), onset, np.full(10, 3.0)]
    values = np.array(
        [
            step,  # active sessions
            step,  # active on CPU
            step + 2.0,  # connections
            np.r_[rng.normal(10.0, 0.5, 7), rng.normal(2900.0, 150.0, 11)],  # statement time
            rng.normal(100.0, 5.0, 18),  # commits
        ]
    )
    found = window.search(values)
    assert found.best == (start, 17)
    assert material(values, found.best, found.shift, np.ones(5, dtype=bool))


def test_a_level_shift_votes_where_a_running_total_or_a_high_water_mark_does_not() -> None:
    step = np.r_[np.zeros(7), np.full(11, 3.0)]
    total = np.cumsum(np.arange(1.0, 19.0))
    ramp = np.r_[np.full(7, 2.0), 10.0, 40.0, np.full(9, 56.0)]  # clients connecting over three intervals
    total = np.cumsum(np.arange(1.0, 19.0))
    # a total that counts only while a job runs (six intervals), then holds
    job_total = np.r_[np.zeros(5), np.cumsum(np.full(6, 100.0)), np.full(7, 600.0)]
    high_water = np.r_[np.full(5, 40.0), np.full(6, 52.0), np.full(7, 61.0)]
    whole, local = fit_scalings(np.array([step, ramp, total, job_total, high_water]))
    assert whole.votes.tolist() == local.votes.tolist() == [True, True, False, False, False]
