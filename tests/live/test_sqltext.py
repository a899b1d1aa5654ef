"""Statement texts through sqlglot: shapes that point at causes, masking, qualification; never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.live.sqltext import Dialect, aliases, analyze, mask, qualify, same_table

DIALECTS: tuple[Dialect, ...] = ("postgres", "mysql")


def _uses(sql: str) -> list[tuple[str | None, str, str, str | None, bool]]:
    shape = analyze(sql, "postgres")
    return [(p.table, p.column, p.op, p.function, p.join) for p in shape.predicates]


def test_predicates_resolve_aliases_and_mark_joins_and_wrapped_columns() -> None:
    sql = (
        "SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.status = $1 AND lower(o.email) = $2"
    )
    assert _uses(sql) == [
        ("orders", "status", "eq", None, False),
        ("orders", "email", "eq", "lower", False),
        ("items", "order_id", "eq", None, True),
        ("orders", "id", "eq", None, True),
    ]


def test_arithmetic_on_a_column_wraps_it_like_a_function() -> None:
    assert _uses("SELECT sum(v) FROM t WHERE v % $1 = 0") == [("t", "v", "eq", "mod", False)]


def test_mysql_digest_text_parses_with_its_spaced_quotes_and_collapsed_lists() -> None:
    shape = analyze("SELECT `a` . `x` FROM `a` WHERE `a` . `k` IN (...) AND `a` . `d` > ?", "mysql")
    assert (shape.parsed, shape.tables, shape.has_where) == (True, ("a",), True)
    assert [(p.column, p.op) for p in shape.predicates] == [("k", "in"), ("d", "range")]


@pytest.mark.parametrize(
    ("sql", "correlated", "outer"),
    [
        (
            "SELECT c.id FROM customers c WHERE c.credit > (SELECT avg(o.total) FROM orders o WHERE o.cid = c.id)",
            True,
            ("customers",),
        ),
        (
            "SELECT * FROM orders o WHERE o.total > (SELECT avg(x.total) FROM orders x WHERE x.cust = o.cust)",
            True,
            ("orders",),
        ),
        ("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE u.flag)", False, ()),
        ("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE flag)", False, ()),
    ],
)
def test_correlated_subqueries_refer_to_an_outer_table(
    sql: str, correlated: bool, outer: tuple[str, ...]
) -> None:
    shape = analyze(sql, "postgres")
    assert (shape.correlated_subquery, shape.correlated_tables) == (correlated, outer)


def test_the_schema_resolves_unqualified_correlation() -> None:
    sql = "SELECT o_orderpriority FROM orders WHERE EXISTS (SELECT * FROM lineitem WHERE l_orderkey = o_orderkey)"
    assert not analyze(sql, "postgres").correlated_subquery  # without columns it cannot tell
    shape = analyze(
        sql, "postgres", {"orders": ["o_orderkey", "o_orderpriority"], "lineitem": ["l_orderkey"]}
    )
    assert (shape.correlated_subquery, shape.correlated_tables) == (True, ("orders",))


@pytest.mark.parametrize(
    ("sql", "joins", "loose"),
    [
        ("SELECT * FROM a JOIN b ON a.id = b.a_id", 1, 0),
        ("SELECT * FROM a JOIN b ON b.v BETWEEN a.lo AND a.hi", 1, 1),
        ("SELECT * FROM a, b WHERE a.id = b.a_id", 1, 0),
        ("SELECT * FROM a, b WHERE a.x > b.y", 1, 1),
        ("SELECT * FROM a CROSS JOIN b", 1, 1),
        ("SELECT * FROM a JOIN b USING (id)", 1, 0),
    ],
)
def test_joins_without_an_equality_between_the_tables(sql: str, joins: int, loose: int) -> None:
    shape = analyze(sql, "postgres")
    assert (shape.joins, shape.joins_without_equality) == (joins, loose)


def test_fetch_shape_where_limit_aggregates_and_in_lists() -> None:
    full = analyze("SELECT * FROM big", "postgres")
    assert (full.has_where, full.has_limit, full.aggregates, full.select_star) == (False, False, False, True)
    counted = analyze("SELECT count(*) FROM big", "postgres")
    assert counted.aggregates
    listed = analyze("SELECT id FROM t WHERE id IN ($1, $2, $3) LIMIT 5", "postgres")
    assert (listed.has_limit, listed.max_in_list) == (True, 3)


@pytest.mark.parametrize(
    ("sql", "kind", "target"),
    [
        (
            "INSERT INTO lab_bulk (payload) SELECT md5(g::text) FROM generate_series($1, $2) AS g",
            "insert",
            "lab_bulk",
        ),
        ("UPDATE lab_upd SET v = v + $1 WHERE bucket = $2", "update", "lab_upd"),
        ("DELETE FROM s.t WHERE id < $1", "delete", "s.t"),
        ("WITH x AS (SELECT 1) SELECT * FROM x JOIN y ON x.a = y.a", "select", "y"),
        ("VACUUM t", "other", None),
    ],
)
def test_statement_kind_and_target(sql: str, kind: str, target: str | None) -> None:
    shape = analyze(sql, "postgres")
    assert (shape.statement, shape.target) == (kind, target)


def test_an_unparseable_text_keeps_its_verb_and_claims_nothing_else() -> None:
    shape = analyze("SELECT a FROM t WHERE (b = ", "postgres")
    assert (shape.parsed, shape.statement, shape.predicates, shape.correlated_subquery) == (
        False,
        "select",
        (),
        False,
    )


def test_masking_replaces_literals_and_leaves_normalised_texts_alone() -> None:
    assert mask("SELECT * FROM t WHERE a = 'x' AND b = 3 AND c = $1", "postgres") == (
        "SELECT * FROM t WHERE a = ? AND b = ? AND c = $1"
    )
    normalised = "SELECT count(*) FROM lab_big WHERE customer = $1"
    assert mask(normalised, "postgres") == normalised
    assert mask("UPDATE t SET a = 'it''s' WHERE (", "postgres") == "UPDATE t SET a = ? WHERE ("


SECRETS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=12)


@given(SECRETS, st.integers(min_value=100000, max_value=10**9), st.sampled_from(DIALECTS))
def test_no_literal_survives_masking(word: str, number: int, d: Dialect) -> None:
    for sql in (
        f"SELECT * FROM t WHERE name = 'zz{word}' AND n = {number}",
        f"SELECT * FROM t WHERE name = 'zz{word}' AND (n = {number}",  # unparseable: masked by pattern
    ):
        masked = mask(sql, d)
        assert f"zz{word}" not in masked and str(number) not in masked


@given(st.text(max_size=120), st.sampled_from(DIALECTS))
def test_any_text_analyses_and_masks_without_raising(text: str, d: Dialect) -> None:
    shape = analyze(text, d)
    assert shape.joins >= shape.joins_without_equality >= 0
    assert not shape.correlated_subquery or shape.subqueries > 0
    assert isinstance(mask(text, d), str)


def test_qualify_puts_unqualified_tables_in_the_schema_and_aliases_name_them() -> None:
    sql = (
        "SELECT o.id FROM orders o JOIN shop.items i ON i.oid = o.id WHERE o.id IN (SELECT oid FROM refunds)"
    )
    qualified = qualify(sql, "mysql", "shop")
    assert qualified == (
        "SELECT o.id FROM shop.orders AS o JOIN shop.items AS i ON i.oid = o.id "
        "WHERE o.id IN (SELECT oid FROM shop.refunds)"
    )
    assert aliases(sql, "mysql") == {
        "o": "orders",
        "orders": "orders",
        "i": "shop.items",
        "items": "shop.items",
        "refunds": "refunds",
    }


def test_same_table_matches_a_qualified_name_with_a_bare_one_only() -> None:
    assert same_table("public.t", "t") and same_table("T", "t")
    assert not same_table("a.t", "b.t")
