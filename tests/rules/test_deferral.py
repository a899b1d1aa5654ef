"""A rule that names a symptom's generic cause defers to the rule that names the access path behind it.

The scan and row counters a CPU or dead-tuple rule reads to rule itself out count a statement
only when it ends, and a sweep of dead rows only once vacuum may remove them; the statement in
flight, and the session left idle in its transaction, show from the first sample.
"""

from __future__ import annotations

import pytest

from models import Fact
from rules import RuleBook, load_rulebook
from rules.engine import run_rules
from tests.rules.fakes import signal


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


# Several more sessions on CPU at once, and none of the counters of scans or bulk writes moved yet.
ON_CPU = signal("db_load_cpu", direction="up", ratio=3.0, anomaly=3.0, baseline=1.0)


def _statement(**shape: float | bool | str) -> Fact:
    """The statement that took over the window, with the shape its text or plan shows."""
    return Fact(
        kind="observation",
        name="statement",
        attrs={"rose_with_window": True, "share_in_window": 0.8, "joins": 1, **shape},
    )


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_cpu_load_alone_is_the_servers_own_cpu_contention(book: RuleBook, engine: str) -> None:
    assert run_rules(book, [ON_CPU], engine=engine).causes == {"cpu_contention": 0.8}


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_cpu_load_of_a_join_on_no_equality_is_the_poor_join(book: RuleBook, engine: str) -> None:
    causes = run_rules(book, [ON_CPU, _statement(joins_without_equality=1)], engine=engine).causes
    assert "poor_join" in causes and "cpu_contention" not in causes


def test_cpu_load_of_a_subquery_run_per_row_is_the_correlated_subquery(book: RuleBook) -> None:
    causes = run_rules(book, [ON_CPU, _statement(correlated_subquery=True)], engine="postgres").causes
    assert "correlated_subquery" in causes and "cpu_contention" not in causes


def test_cpu_load_of_a_statement_that_filters_on_no_index_defers(book: RuleBook) -> None:
    candidate = Fact(
        kind="observation",
        name="index_candidate",
        attrs={"rose_with_window": True, "share_in_window": 0.8, "in_correlated_subquery": False},
    )
    assert "cpu_contention" not in run_rules(book, [ON_CPU, candidate], engine="postgres").causes


@pytest.mark.parametrize("kind", ["insert", "update", "delete"])
def test_cpu_load_of_a_rising_write_defers_before_its_rows_are_counted(book: RuleBook, kind: str) -> None:
    causes = run_rules(book, [ON_CPU, _statement(statement=kind, joins=0)], engine="postgres").causes
    assert "cpu_contention" not in causes


def test_cpu_load_of_a_rising_plain_read_stays_the_generic_cause(book: RuleBook) -> None:
    causes = run_rules(book, [ON_CPU, _statement(statement="select", joins=0)], engine="postgres").causes
    assert "cpu_contention" in causes


# Dead rows doubled by tens of thousands while reads and latency rose, and autovacuum did not run more.
PILING = [
    signal("dead_tuples", direction="up", ratio=3.0, delta=50000.0, anomaly=75000.0),
    signal("latency", direction="up", ratio=2.0, anomaly=4.0),
]


def test_dead_rows_piling_up_are_vacuum_falling_behind(book: RuleBook) -> None:
    assert "dead_tuples_vacuum" in run_rules(book, PILING, engine="postgres").causes


def test_dead_rows_piling_up_behind_sessions_left_idle_are_not_vacuums(book: RuleBook) -> None:
    idle = signal("idle_in_transaction_sessions", direction="up", ratio=3.0, anomaly=1.0)
    assert "dead_tuples_vacuum" not in run_rules(book, [*PILING, idle], engine="postgres").causes
