"""The read-only guard: every collector query passes, anything that could write is refused."""

from __future__ import annotations

import pytest

from sources.live import mysql_queries, postgres_queries
from sources.live.errors import WriteRefused
from sources.live.guard import check_read_only, is_control

QUERIES = {
    f"{module.__name__.rsplit('.', 1)[-1]}.{name}": value
    for module in (postgres_queries, mysql_queries)
    for name, value in vars(module).items()
    if name.isupper() and not name.startswith("_") and isinstance(value, str)
}


def test_the_query_modules_hold_the_statements_the_collectors_use() -> None:
    assert len(QUERIES) == 22


@pytest.mark.parametrize("sql", list(QUERIES.values()), ids=list(QUERIES))
def test_every_collector_query_is_a_plain_read(sql: str) -> None:
    assert check_read_only(sql) == sql


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("UPDATE t SET a = 1", "'update'"),
        ("  delete from t", "'delete'"),
        ("SELECT 1; DROP TABLE t", "several statements"),
        ("SELECT * INTO new_t FROM t", "'INTO'"),
        ("SELECT * FROM t FOR UPDATE", "'UPDATE'"),
        ("SELECT pg_terminate_backend(42)", "'PG_TERMINATE_BACKEND'"),
        ("SELECT nextval('s')", "'NEXTVAL'"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "'with'"),
        ("/* SELECT */ INSERT INTO t VALUES (1)", "'insert'"),
        ("SELECT SLEEP(10)", "'SLEEP'"),
        ("", "nothing"),
    ],
)
def test_writes_and_side_effects_are_refused(sql: str, why: str) -> None:
    with pytest.raises(WriteRefused) as info:
        check_read_only(sql)
    assert why in str(info.value)


def test_words_inside_string_literals_and_identifiers_are_not_writes() -> None:
    sql = "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock; update') AS waiting_lock FROM pg_locks"
    assert check_read_only(sql) == sql


def test_only_the_read_only_session_setup_counts_as_control() -> None:
    assert is_control("START TRANSACTION READ ONLY")
    assert is_control("SET SESSION max_statement_time = 5")
    assert is_control("SET SESSION MAX_EXECUTION_TIME = 5000")
    assert not is_control("SET SESSION sql_log_bin = 0")
    assert not is_control("SET GLOBAL max_statement_time = 5")
    assert not is_control("START TRANSACTION")
