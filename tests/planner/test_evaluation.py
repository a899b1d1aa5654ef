from __future__ import annotations

from models import CauseFinding, Diagnosis, TraceEvent
from planner.evaluation import planner_score
from tests.planner.fakes import KG


def dx(labels: list[str], ranked: list[str], first_layer: list[str] | None) -> Diagnosis:
    trace = (
        []
        if first_layer is None
        else [TraceEvent(kind="note", name="plan", output={"first_layer": first_layer})]
    )
    causes = [CauseFinding(cause=c, certainty=0.5) for c in ranked]
    return Diagnosis(incident="x", path="llm", causes=causes, labels=labels, trace=trace)


def test_scores_only_incidents_the_planner_investigated() -> None:
    batch = [
        dx(["cpu_saturation"], ["cpu_saturation"], ["compare_window_cpu_user"]),  # top-1, right tool
        dx(
            ["lock_contention"], ["cpu_saturation", "lock_contention"], ["top_sql_total_time"]
        ),  # top-3, wrong tool
        dx(["io_saturation"], [], ["compare_window_disk_read", "lock_waits"]),  # nothing, right tool
        dx(["cpu_saturation"], ["cpu_saturation"], None),  # rules answered: not counted
        dx([], ["cpu_saturation"], ["lock_waits"]),  # unlabelled: not counted
    ]
    score = planner_score(batch, KG)
    assert score.model_dump() == {"top1": 0.3333, "top3": 0.6667, "tool_selection": 0.6667, "cases": 3}


def test_no_investigations_is_zero_cases() -> None:
    assert planner_score([dx(["cpu_saturation"], [], None)], KG).cases == 0
