"""Everything a diagnosis carries is on the diagnosis tab: a healthy answer and its test, several
windows, a cause's own window, blamed statements, tables and indexes with numbers, the SQL of a
remediation (shown, never run), similar past incidents, the planner's calls, errors and labels.

The diagnoses are built as the core builds them (``models``); the view is mounted alone.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from models import (
    CauseFinding,
    Deviation,
    Diagnosis,
    Evidence,
    HealthCheck,
    Remediation,
    RuleReport,
    SimilarIncident,
    Subject,
    TimeWindow,
    TraceEvent,
    WhyNot,
)
from tests.tui.world import T0
from tui.app.widgets.diagnosis_view import DiagnosisView, why_not_here_first

FIRST = TimeWindow(start=T0 + 400, end=T0 + 490)
SECOND = TimeWindow(start=T0 + 1200, end=T0 + 1260)
UNITS = {"row_lock_waits": "per_second", "disk_read": "bytes_per_second", "latency": "ms"}


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield DiagnosisView()


def compound() -> Diagnosis:
    statement = Subject(
        kind="statement",
        name="77de",
        text="SELECT * FROM orders WHERE customer_id = ?",
        table="public.orders",
        values={"calls": 9000.0, "mean_ms": 900.0, "share_of_time": 0.82},
    )
    index = Subject(kind="index", name="orders_pkey", table="public.orders", columns=["id"])
    table = Subject(
        kind="table", name="public.orders", values={"dead_tuples": 4_200_000.0, "size_bytes": 1.752e8}
    )
    return Diagnosis(
        incident="orders-compound",
        title="orders-compound on orders-db",
        path="rules",
        window=FIRST,
        windows=[FIRST, SECOND],
        causes=[
            CauseFinding(
                cause="lock_contention",
                title="Lock contention",
                certainty=0.8,
                score=0.61,
                coverage=0.53,
                evidence=[
                    Evidence(kind="signal", name="row_lock_waits", values={"baseline": 1.5, "anomaly": 40.0})
                ],
                rules=["lock_waits_pile_up"],
                window=FIRST,
            ),
            CauseFinding(
                cause="missing_index",
                title="Missing index",
                certainty=0.7,
                score=0.5,
                coverage=0.5,
                evidence=[
                    Evidence(kind="signal", name="disk_read", values={"baseline": 0.0, "anomaly": 1.752e8})
                ],
                subjects=[statement, table, index],
                remediations=[
                    Remediation(
                        id="add_index",
                        title="Add the missing index",
                        risk="medium",
                        statements=["CREATE INDEX CONCURRENTLY ON public.orders (customer_id)"],
                    )
                ],
                window=SECOND,
            ),
        ],
        similar=[
            SimilarIncident(record=12, incident="orders-0611", similarity=0.93, causes=["lock_contention"])
        ],
        trace=[TraceEvent(kind="tool", name="lock_waits", elapsed_ms=12.0)],
        errors=["reflection: the model answered nothing"],
        labels=["lock_contention", "missing_index"],
    )


def lines(view: DiagnosisView, selector: str) -> list[str]:
    return str(view.query_one(selector, Static).render()).splitlines()


async def test_a_compound_diagnosis_shows_every_field() -> None:
    app = Host()
    async with app.run_test(size=(160, 45)) as pilot:
        view = app.query_one(DiagnosisView)
        view.show(compound(), UNITS)
        await pilot.pause()
        assert lines(view, "#about") == [
            "rules, window 2025-11-23 12:20:00 – 12:21:30 UTC (90 s), given",
            "labelled lock_contention, missing_index",
            "2 abnormal windows:",
            "  2025-11-23 12:20:00 – 12:21:30 UTC (90 s)",
            "  2025-11-23 12:33:20 – 12:34:20 UTC (60 s)",
            "similar past incidents (what the DBA confirmed):",
            "  #12 orders-0611 (similarity 0.93): lock_contention",
            "investigation:",
            "  tool lock_waits 12 ms: ok",
            "error: reflection: the model answered nothing",
        ]
        causes = view.query_one("#causes", DataTable)
        causes.move_cursor(row=1)
        await pilot.pause()
        assert lines(view, "#cause-title") == [
            "2. Missing index (missing_index)",
            "certainty 0.70, score 0.50, graph coverage 50%, from rules",
            "measured on window 2025-11-23 12:33:20 – 12:34:20 UTC (60 s), given",
        ]
        evidence = view.query_one("#evidence", DataTable)
        assert [str(c) for c in evidence.get_row_at(0)] == [
            "signal",
            "disk_read",
            "0 B/s → 167 MiB/s (from 0)",
            "",
        ]
        assert lines(view, "#subjects") == [
            "statement 77de on public.orders: SELECT * FROM orders WHERE customer_id = ? "
            "(calls=9K, mean_ms=900 ms, share_of_time=82%)",
            "table public.orders (dead_tuples=4.2M, size_bytes=167 MiB)",
            "index orders_pkey on public.orders (id)",
        ]
        assert lines(view, "#remediations") == [
            "1. Add the missing index (medium risk)",
            "  CREATE INDEX CONCURRENTLY ON public.orders (customer_id)",
        ]
        assert view.query_one("#subjects").display is True


async def test_a_healthy_capture_says_so_and_shows_the_test() -> None:
    healthy = Diagnosis(
        incident="quiet",
        path="healthy",
        window=None,
        health=HealthCheck(
            healthy=True,
            method="max segment shift, permutation null",
            metrics=3,
            samples=60,
            statistic=2.1,
            threshold=3.4,
            p_value=0.41,
            resamples=200,
            strongest=Deviation(metric="latency", window=FIRST, baseline=2.0, anomaly=2.3, score=1.2),
        ),
    )
    app = Host()
    async with app.run_test(size=(160, 45)) as pilot:
        view = app.query_one(DiagnosisView)
        view.show(healthy, UNITS)
        await pilot.pause()
        assert lines(view, "#cause-title") == [
            "Healthy: nothing abnormal in this capture (the test is below)."
        ]
        assert lines(view, "#about") == [
            "healthy, no anomaly window",
            "nothing abnormal: statistic 2.1 against threshold 3.4, p 0.41 "
            "(3 metrics × 60 samples, 200 resamples; max segment shift, permutation null)",
            "largest deviation: latency 2 ms → 2.3 ms (z 1.2) over 2025-11-23 12:20:00 – 12:21:30 UTC (90 s)",
        ]
        assert view.query_one("#evidence").display is False and view.query_one("#how").display is False


def test_why_not_puts_the_rules_of_this_engine_first() -> None:
    why = WhyNot(
        cause="io_saturation",
        rules=[
            RuleReport(rule="pg_reads", status="other engine", certainty=0.7),
            RuleReport(rule="mysql_reads", status="failed", certainty=0.7),
            RuleReport(rule="pg_temp", status="other engine", certainty=0.6),
            RuleReport(rule="mysql_disabled", status="disabled", certainty=0.5),
        ],
    )
    assert [r.rule for r in why_not_here_first(why).rules] == [
        "mysql_reads",
        "mysql_disabled",
        "pg_reads",
        "pg_temp",
    ]
