"""Per-statement counters, table pictures and plans, read from fake servers: what is asked, what is kept."""

from __future__ import annotations

from typing import Any

from models import StatementActivity, StatementCounters, StatementSeries
from sources.live.dsn import Dsn, parse_dsn
from sources.live.errors import QueryFailed
from sources.live.mysql import MySqlCollector
from sources.live.mysql import queries as myq
from sources.live.mysql.tables import pair_list
from sources.live.postgres import PostgresCollector
from sources.live.postgres import queries as pgq
from sources.live.postgres.tables import name_list
from sources.live.session import Row, Session
from tests.live.fakes import FakeSession

PG_PLAN = [
    {
        "Plan": {
            "Node Type": "Aggregate",
            "Total Cost": 4384.56,
            "Plan Rows": 1,
            "Plans": [
                {
                    "Node Type": "Seq Scan",
                    "Parent Relationship": "Outer",
                    "Relation Name": "lab_big",
                    "Total Cost": 4370.0,
                    "Plan Rows": 40,
                    "Filter": "(customer = $1)",
                }
            ],
        }
    }
]
MY_PLAN = (
    '{"query_block": {"select_id": 1, "nested_loop": [{"table": {"table_name": "o", "access_type": "ALL", '
    '"rows": 5040, "attached_condition": "o.amount > (subquery#2)"}}], "subqueries": [{"expression_cache": '
    '{"query_block": {"select_id": 2, "nested_loop": [{"table": {"table_name": "i", "access_type": "ref", '
    '"key": "lab_items_order", "rows": 7}}]}}}]}}'
)


def _session(
    answers: dict[str, list[Row]], version: str, failing: dict[str, str] | None = None
) -> FakeSession:
    def respond(sql: str) -> list[Row]:
        flat = " ".join(sql.split())
        for key, rows in answers.items():
            if flat == " ".join(key.split()):
                return rows
        for key, why in (failing or {}).items():
            if flat.startswith(key):
                raise QueryFailed(why)
        return []

    return FakeSession(respond=respond, version=version)


def _factory(session: FakeSession) -> Any:
    def make(_: Dsn) -> Session:
        return session

    return make


def _activity(digest: str, text: str, schema: str | None = None) -> StatementActivity:
    return StatementActivity(
        digest=digest,
        text=text,
        schema_name=schema,
        total=StatementCounters(calls=1),
        series=StatementSeries(),
    )


PG_STATEMENT = {
    "digest": "-7281550550624171630",
    "calls": 804,
    "total_time_ms": 18113.5,
    "rows": 804,
    "shared_blks_hit": 1500000,
    "shared_blks_read": 3500,
    "wal_bytes": 0,
}


def _pg(extra: dict[str, list[Row]] | None = None, **kw: Any) -> tuple[PostgresCollector, FakeSession]:
    answers: dict[str, list[Row]] = {
        pgq.STATEMENTS_INSTALLED: [{"installed": 1}],
        pgq.STATEMENTS: [PG_STATEMENT],
        pgq.STATEMENT_TEXTS.format(ids="-7281550550624171630"): [
            {
                "digest": "-7281550550624171630",
                "text": "SELECT count(*) FROM lab_big WHERE customer = 42",
                "schema_name": "shop",
            }
        ],
        **(extra or {}),
    }
    session = _session(answers, "15.4", kw.pop("failing", None))
    coll = PostgresCollector(
        parse_dsn("postgresql://mon:pw@db.example:5432/shop"), session_factory=_factory(session), **kw
    )
    coll.connect()
    return coll, session


def test_postgres_reads_statement_counters_every_sample_and_texts_once_masked() -> None:
    coll, session = _pg()
    first = coll.sample(1.0).statements
    second = coll.sample(2.0).statements
    assert first is not None and second is not None
    reading = first["-7281550550624171630"]
    assert reading.counters == {
        "calls": 804.0,
        "total_time_ms": 18113.5,
        "rows": 804.0,
        "shared_blks_hit": 1500000.0,
        "shared_blks_read": 3500.0,
        "wal_bytes": 0.0,
    }
    assert (reading.text, reading.schema) == ("SELECT COUNT(*) FROM lab_big WHERE customer = ?", "shop")
    assert second["-7281550550624171630"].text is None  # the text is read once
    assert sum("pg_stat_statements s JOIN pg_database" in s for s in session.statements) == 1


def test_keeping_literals_is_the_collectors_option() -> None:
    coll, _ = _pg(mask_literals=False)
    statements = coll.sample(1.0).statements
    assert statements is not None
    assert statements["-7281550550624171630"].text == "SELECT count(*) FROM lab_big WHERE customer = 42"


def test_postgres_tables_are_pictured_with_indexes_and_autovacuum_switch() -> None:
    listed = name_list(["public.lab_dead", "lab_big", "x'; DROP TABLE t; --"])
    assert listed == "'lab_big', 'lab_dead'"
    coll, _ = _pg(
        {
            pgq.TABLE_DETAILS.format(names=listed): [
                {
                    "schema_name": "public",
                    "name": "lab_dead",
                    "size_bytes": 7512064,
                    "live_rows": 22377,
                    "dead_rows": 75234,
                    "last_autovacuum": None,
                    "autovacuum_global": "on",
                    "autovacuum_table": "false",
                    "columns": "id,v,note",
                }
            ],
            pgq.INDEX_DETAILS.format(names=listed): [
                {
                    "schema_name": "public",
                    "name": "lab_dead",
                    "index_name": "lab_dead_pkey",
                    "definition": "CREATE UNIQUE INDEX lab_dead_pkey ON public.lab_dead USING btree (id)",
                    "is_unique": True,
                    "is_primary": True,
                    "size_bytes": 2260992,
                    "scans": 0,
                    "columns": "id",
                }
            ],
        }
    )
    [table] = coll.table_details(["public.lab_dead", "lab_big", "x'; DROP TABLE t; --"])
    assert (table.qualified, table.live_rows, table.dead_rows, table.autovacuum_enabled, table.columns) == (
        "public.lab_dead",
        22377,
        75234,
        False,
        ["id", "v", "note"],
    )
    [index] = table.indexes
    assert (index.name, index.columns, index.primary, index.scans) == ("lab_dead_pkey", ["id"], True, 0)


def test_postgres_plans_are_generic_plans_of_the_normalised_text() -> None:
    text = "SELECT count(*) FROM lab_big WHERE customer = $1"
    coll, session = _pg({f"EXPLAIN {text}": [{"QUERY PLAN": PG_PLAN}]})
    [plan] = coll.plans([_activity("-7281550550624171630", text), _activity("9", "UPDATE t SET a = $1")])
    assert (plan.digest, plan.source, plan.total_cost) == ("-7281550550624171630", "generic", 4384.56)
    assert [(n.node_type, n.relation, n.parent, n.filtered, n.depth) for n in plan.nodes] == [
        ("Aggregate", None, None, False, 0),
        ("Seq Scan", "lab_big", "Outer", True, 1),
    ]
    assert [s for s in session.statements if s.startswith("EXPLAIN")] == [
        f"EXPLAIN {text}"
    ]  # never the UPDATE


def test_a_plan_the_server_refuses_costs_a_note() -> None:
    coll, _ = _pg(failing={"EXPLAIN": "permission denied for table lab_big"})
    assert coll.plans([_activity("1", "SELECT * FROM lab_big WHERE id = $1")]) == []
    assert coll.notes() == ["plans: not collected (permission denied for table lab_big)"]


MY_STATEMENT = {
    "digest": "706fa5b6874552ac34b017226bab7af2",
    "calls": 30,
    "total_time_ms": 12000.0,
    "rows_examined": 900000,
    "rows_sent": 1500,
    "rows_affected": 0,
    "no_index_used": 0,
}


def _my(extra: dict[str, list[Row]]) -> tuple[MySqlCollector, FakeSession]:
    digest = "'706fa5b6874552ac34b017226bab7af2'"
    answers: dict[str, list[Row]] = {
        myq.PERFORMANCE_SCHEMA_ON: [{"Variable_name": "performance_schema", "Value": "ON"}],
        myq.STATEMENTS: [MY_STATEMENT, {"digest": "not hex; DROP", "calls": 1}],
        myq.STATEMENT_TEXTS.format(digests=digest): [
            {
                "digest": "706fa5b6874552ac34b017226bab7af2",
                "text": "SELECT `o` . `id` FROM `lab_orders` `o` WHERE `o` . `amount` > ( SELECT AVG ( `i` . "
                "`price` ) FROM `lab_items` `i` WHERE `i` . `order_id` = `o` . `id` ) ",
                "schema_name": "lab",
            }
        ],
        **extra,
    }
    session = _session(answers, "10.11.6-MariaDB")
    coll = MySqlCollector(parse_dsn("mysql://mon:pw@db.example:3306/"), session_factory=_factory(session))
    coll.connect()
    return coll, session


def test_mysql_statement_counters_count_rows_sent_and_affected_and_skip_bad_digests() -> None:
    coll, _ = _my({})
    statements = coll.sample(1.0).statements
    assert statements is not None and list(statements) == ["706fa5b6874552ac34b017226bab7af2"]
    reading = statements["706fa5b6874552ac34b017226bab7af2"]
    assert reading.counters["rows"] == 1500.0 and reading.counters["rows_examined"] == 900000.0
    assert (
        reading.schema == "lab" and reading.text is not None and reading.text.startswith("SELECT `o` . `id`")
    )


def test_mysql_plans_explain_a_recent_text_with_its_tables_qualified() -> None:
    sample = "SELECT o.id FROM lab_orders o WHERE o.amount > (SELECT avg(i.price) FROM lab_items i WHERE i.order_id = o.id)"
    qualified = (
        "SELECT o.id FROM lab.lab_orders AS o WHERE o.amount > "
        "(SELECT AVG(i.price) FROM lab.lab_items AS i WHERE i.order_id = o.id)"
    )
    coll, session = _my(
        {
            myq.SAMPLE_TEXTS.format(digests="'706fa5b6874552ac34b017226bab7af2'"): [
                {"digest": "706fa5b6874552ac34b017226bab7af2", "text": sample, "schema_name": "lab"}
            ],
            f"EXPLAIN {qualified}": [{"EXPLAIN": MY_PLAN}],
        }
    )
    [plan] = coll.plans([_activity("706fa5b6874552ac34b017226bab7af2", "SELECT ...", "lab")])
    assert [(n.node_type, n.relation, n.index, n.parent) for n in plan.nodes] == [
        ("Seq Scan", "lab.lab_orders", None, "Outer"),
        ("Index Scan", "lab.lab_items", "lab_items_order", "SubPlan"),
    ]
    assert f"EXPLAIN {qualified}" in session.statements


def test_mysql_without_statement_history_notes_why_there_are_no_plans() -> None:
    coll, _ = _my({})
    assert coll.plans([_activity("706fa5b6874552ac34b017226bab7af2", "SELECT 1", "lab")]) == []
    assert coll.notes() == [
        "plans: not collected (no recent statement texts (performance_schema events_statements_history is off))"
    ]


def test_table_names_reach_the_sql_only_as_plain_identifiers() -> None:
    assert pair_list(["shop.orders", "orders", "a.b'c", "x.y z"]) == "('shop', 'orders')"
    assert pair_list(["orders"]) is None
