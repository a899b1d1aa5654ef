"""The read-only guard: every collector query passes, anything that could write is refused."""

from __future__ import annotations

import pytest

from sources.live.errors import WriteRefused
from sources.live.guard import (
    check_explainable,
    check_plan_statement,
    check_read_only,
    is_control,
    parser_problem,
)
from sources.live.mysql import queries as mysql_queries
from sources.live.postgres import queries as postgres_queries

# Templates are checked as the collectors fill them: with the ids, digests and names they accept.
FILLED = {
    "ids": "-7281550550624171630, 42",
    "digests": "'e779a7b67a52ef099f1b87770c3c118c'",
    "names": "'lab_big', 'orders'",
    "pairs": "('shop', 'orders'), ('shop', 'items')",
}
QUERIES = {
    f"{module.__name__.removeprefix('sources.live.')}.{name}": value.format(**FILLED)
    for module in (postgres_queries, mysql_queries)
    for name, value in vars(module).items()
    if name.isupper() and not name.startswith("_") and isinstance(value, str)
}


def test_both_engines_query_modules_are_checked() -> None:
    # the statements are discovered by name; an emptied or renamed module must not pass by checking nothing
    assert {name.split(".")[0] for name in QUERIES} == {"postgres", "mysql"}
    assert all(sum(n.startswith(engine) for n in QUERIES) >= 5 for engine in ("postgres", "mysql"))


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


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT 1; SELECT 2", "several statements"),
        ("SELECT * FROM t FOR UPDATE", "LOCK"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE"),
        ("SELECT pg_sleep(1)", "PG_SLEEP"),
        ("SELECT nextval('s')", "NEXTVAL"),
        ("UPDATE t SET a = 1", "UPDATE statement"),
        ("SHOW TABLES", "SHOW"),
        ("SELECT * FROM t WHERE (", "cannot read"),
    ],
)
def test_statement_texts_are_explained_only_when_the_parser_sees_one_plain_query(sql: str, why: str) -> None:
    with pytest.raises(WriteRefused) as info:
        check_explainable(sql, "postgres")
    assert why in str(info.value)


def test_user_identifiers_that_look_like_verbs_are_explainable() -> None:
    sql = 'SELECT "lock", replace(note, $1, $2) FROM orders WHERE "update" > $3'
    assert check_explainable(sql, "postgres") == sql


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN (FORMAT JSON) SELECT * FROM t WHERE id = 1",
        "PREPARE sleuth_plan_3 AS SELECT * FROM t WHERE id = $1",
        "EXPLAIN (FORMAT JSON) EXECUTE sleuth_plan_3(NULL, NULL)",
    ],
)
def test_the_generic_plan_steps_pass(sql: str) -> None:
    assert check_plan_statement(sql, "postgres") == sql


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN (FORMAT JSON, ANALYZE) SELECT 1",
        "EXPLAIN ANALYZE SELECT 1",
        "PREPARE other AS SELECT 1",
        "PREPARE sleuth_plan_1 AS DELETE FROM t",
        "EXPLAIN (FORMAT JSON) EXECUTE sleuth_plan_1(1)",
        "EXECUTE sleuth_plan_1",
    ],
)
def test_analyze_foreign_names_writes_and_bare_execute_are_refused(sql: str) -> None:
    with pytest.raises(WriteRefused):
        check_plan_statement(sql, "postgres")


def test_mysql_explain_is_format_json_of_one_query() -> None:
    assert check_plan_statement("EXPLAIN FORMAT=JSON SELECT * FROM s.t", "mysql")
    with pytest.raises(WriteRefused):
        check_plan_statement("EXPLAIN FORMAT=JSON UPDATE s.t SET a = 1", "mysql")
    with pytest.raises(WriteRefused):
        check_plan_statement("EXPLAIN ANALYZE SELECT 1", "mysql")


def test_the_parser_backs_the_word_screen() -> None:
    # No forbidden word, but the parse tree shows a second statement hidden after a comment marker.
    assert parser_problem("SELECT 1 /* ; */") is None
    assert parser_problem("SELECT `a` FROM t") is None  # MySQL quoting: only one dialect must parse it
    assert is_control("SET LOCAL plan_cache_mode = force_generic_plan")
    assert is_control("DEALLOCATE sleuth_plan_7")
    assert not is_control("DEALLOCATE ALL")
