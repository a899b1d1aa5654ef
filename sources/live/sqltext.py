"""Statement texts parsed with sqlglot: masked for display, analysed for the shapes that point at a cause.

One parser serves the read-only guard, the collectors (masking, table names,
what EXPLAIN may see) and the rules' observations, so "which table does this
statement read, on which columns" has one answer everywhere. Texts are data:
they are parsed, never run. Anything sqlglot cannot parse yields an empty
analysis, never an exception.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

Dialect = Literal["postgres", "mysql"]
StatementKind = Literal["select", "insert", "update", "delete", "ddl", "other"]
PredicateOp = Literal["eq", "range", "in", "like", "other"]

# sqlglot warns on every statement it keeps as an opaque command (SHOW, EXPLAIN); those are expected.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# MariaDB/MySQL digests collapse long value lists to "(...)", which is not SQL.
_DIGEST_ELLIPSIS = re.compile(r"\(\s*\.\.\.\s*\)")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'")
_NUMBER = re.compile(r"(?<![\w$.?])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
MASK = "?"
_KINDS: tuple[tuple[type[exp.Expr], StatementKind], ...] = (
    (exp.Query, "select"),
    (exp.Insert, "insert"),
    (exp.Update, "update"),
    (exp.Delete, "delete"),
    (exp.Create, "ddl"),
    (exp.Drop, "ddl"),
    (exp.Alter, "ddl"),
    (exp.TruncateTable, "ddl"),
)
_COMPARISONS: tuple[tuple[type[exp.Expr], PredicateOp], ...] = (
    (exp.EQ, "eq"),
    (exp.NullSafeEQ, "eq"),
    (exp.GT, "range"),
    (exp.GTE, "range"),
    (exp.LT, "range"),
    (exp.LTE, "range"),
    (exp.Between, "range"),
    (exp.In, "in"),
    (exp.Like, "like"),
    (exp.ILike, "like"),
)
_BLOCKS = (exp.Select, exp.Update, exp.Delete)


@dataclass(frozen=True)
class ColumnUse:
    """A column a statement filters or joins on, resolved to its table where the text allows."""

    table: str | None
    column: str
    op: PredicateOp
    function: str | None = None  # the function wrapping the column, which keeps an index from serving it
    join: bool = False  # compared with another table's column rather than a value


@dataclass(frozen=True)
class SqlAnalysis:
    """What a statement's text says about its cost, independent of the data it runs on."""

    statement: StatementKind = "other"
    parsed: bool = False
    tables: tuple[str, ...] = ()
    target: str | None = None  # the table written (insert/update/delete) or the first read
    predicates: tuple[ColumnUse, ...] = ()
    joins: int = 0
    joins_without_equality: int = 0
    subqueries: int = 0
    correlated_subquery: bool = False
    has_where: bool = False
    has_limit: bool = False
    aggregates: bool = False
    select_star: bool = False
    boolean_terms: int = 0
    max_in_list: int = 0
    correlated_tables: tuple[str, ...] = field(default=())

    def predicate_columns(self, table: str) -> list[ColumnUse]:
        return [p for p in self.predicates if p.table is not None and same_table(p.table, table)]


def same_table(a: str, b: str) -> bool:
    """``public.t`` and ``t`` name the same table when one of them is unqualified."""
    x, y = a.lower(), b.lower()
    if x == y:
        return True
    return x.rsplit(".", 1)[-1] == y.rsplit(".", 1)[-1] and ("." not in x or "." not in y)


def _prepare(text: str) -> str:
    return _DIGEST_ELLIPSIS.sub(f"({MASK})", text)


@lru_cache(maxsize=2048)
def parse(text: str, dialect: Dialect) -> exp.Expr | None:
    """The one statement in ``text``, or ``None`` when it is not exactly one parseable statement."""
    try:
        statements = sqlglot.parse(_prepare(text), read=dialect)
    except (SqlglotError, RecursionError, ValueError):
        return None
    real = [s for s in statements if s is not None]
    return real[0] if len(real) == 1 else None


def parse_all(text: str, dialect: Dialect) -> list[exp.Expr] | None:
    """Every statement in ``text`` (the guard refuses more than one), or ``None`` when unparseable."""
    try:
        return [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except (SqlglotError, RecursionError, ValueError):
        return None


def _is_value_literal(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and not isinstance(node.parent, exp.Parameter)


@lru_cache(maxsize=2048)
def mask(text: str, dialect: Dialect) -> str:
    """``text`` with every literal replaced by ``?``; unchanged when it has none (already normalised).

    A text sqlglot cannot parse is masked by pattern instead (quoted strings and numbers),
    so a literal never survives because a statement was unusual.
    """
    tree = parse(text, dialect)
    if tree is None:
        return _NUMBER.sub(MASK, _QUOTED.sub(MASK, text))
    if not any(_is_value_literal(n) for n in tree.walk()):
        return text
    masked = tree.transform(lambda n: exp.Var(this=MASK) if _is_value_literal(n) else n)
    return masked.sql(dialect=dialect)


def _value(node: exp.Expr) -> bool:
    """A value a statement's executions differ in: a literal, a placeholder, or one negated."""
    if isinstance(node, exp.Neg):
        return _value(node.this)
    return _is_value_literal(node) or isinstance(node, exp.Placeholder | exp.Parameter)


def _canonical_node(node: exp.Expr) -> exp.Expr:
    if _value(node):
        return exp.Var(this=MASK)
    if isinstance(node, exp.Identifier):
        return exp.Identifier(this=node.name.lower(), quoted=False)
    return node


@lru_cache(maxsize=2048)
def canonical(text: str, dialect: Dialect) -> str:
    """One text for every execution of a statement and for the server's normalised form of it.

    Literals, placeholders (``?``, ``$1``) and value lists (``IN (1, 2, 3)``, a digest's
    ``(...)``) become ``?``, identifiers lose their quotes and case, and whitespace is one
    space: ``SELECT count(*) FROM t WHERE c = 42`` as a session runs it and
    ``SELECT COUNT ( * ) FROM `t` WHERE `c` = ?`` as performance_schema digests it give the
    same text, so a statement seen running is the digest it will be counted under. A text
    sqlglot cannot parse is reduced by pattern (quotes, literals, case, spaces) instead.
    """
    tree = parse(text, dialect)
    if tree is None:
        flat = _NUMBER.sub(MASK, _QUOTED.sub(MASK, _prepare(text))).replace("`", "").replace('"', "")
        return " ".join(flat.split()).lower()
    shaped = tree.transform(_canonical_node)
    # In place, after the values are masked (a node the transform replaces is not visited inside).
    for found in shaped.find_all(exp.In, exp.Anonymous):
        if isinstance(found, exp.Anonymous) and isinstance(found.this, exp.Identifier):
            found.set("this", found.this.name)  # a quoted function name (MariaDB's digests quote them)
        elif found.expressions and all(isinstance(e, exp.Var) and e.name == MASK for e in found.expressions):
            found.set("expressions", [exp.Var(this=MASK)])
    return " ".join(shaped.sql(dialect=dialect).split()).lower()


STAND_IN = "running:"


def stand_in(shape: str) -> str:
    """The key of a statement seen running that the server has not counted yet, from its canonical
    text: every execution of it shares the key until the server names the statement."""
    return STAND_IN + hashlib.blake2b(shape.encode(), digest_size=8).hexdigest()


def statement_kind(tree: exp.Expr | None) -> StatementKind:
    if tree is None:
        return "other"
    for cls, kind in _KINDS:
        if isinstance(tree, cls):
            return kind
    return "other"


def table_name(table: exp.Table) -> str:
    parts = [p for p in (table.catalog, table.db, table.name) if p]
    return ".".join(parts).lower()


def _own_blocks(node: exp.Expr) -> Iterator[exp.Expr]:
    """Nodes under ``node`` that belong to its own query block (nested blocks are skipped)."""
    for child in node.iter_expressions():
        if isinstance(child, _BLOCKS):
            continue
        yield child
        yield from _own_blocks(child)


def _block_sources(block: exp.Expr) -> dict[str, str]:
    """Alias (or name) -> table name for the tables a block reads or writes directly."""
    tables: list[exp.Table] = []
    if isinstance(block, exp.Update | exp.Delete) and isinstance(block.this, exp.Table):
        tables.append(block.this)
    for key in ("from_", "joins", "using", "tables"):
        value = block.args.get(key)
        items = value if isinstance(value, list) else [value] if value is not None else []
        for item in items:
            target = item.this if isinstance(item, exp.From | exp.Join) else item
            if isinstance(target, exp.Table):
                tables.append(target)
    sources: dict[str, str] = {}
    for t in tables:
        name = table_name(t)
        if not t.name:
            continue
        sources[(t.alias_or_name or t.name).lower()] = name
        sources.setdefault(t.name.lower(), name)
    return sources


def _blocks(tree: exp.Expr) -> list[tuple[exp.Expr, list[exp.Expr]]]:
    """Every query block with its enclosing blocks, outermost first."""
    out: list[tuple[exp.Expr, list[exp.Expr]]] = []

    def visit(node: exp.Expr, outer: list[exp.Expr]) -> None:
        here = outer
        if isinstance(node, _BLOCKS):
            out.append((node, outer))
            here = [*outer, node]
        for child in node.iter_expressions():
            visit(child, here)

    visit(tree, [])
    return out


def _resolve(
    column: exp.Column,
    sources: Mapping[str, str],
    columns: Mapping[str, Collection[str]] | None,
    outer: Mapping[str, str] | None = None,
) -> str | None:
    """The table a column belongs to: by its qualifier, else by the schema, else the block's only table.

    SQL resolves an unqualified name innermost first, so the outer blocks are consulted only when
    the schema says none of the block's own tables has the column.
    """
    qualifier = column.table.lower()
    if qualifier:
        return sources.get(qualifier) or (outer or {}).get(qualifier)
    name = column.name.lower()
    own = sorted(set(sources.values()))
    if columns:
        known = [t for t in own if _columns_of(columns, t)]
        owners = [t for t in own if name in _columns_of(columns, t)]
        if len(owners) == 1:
            return owners[0]
        if not owners and len(known) == len(own) and outer:
            outside = [t for t in sorted(set(outer.values())) if name in _columns_of(columns, t)]
            if len(outside) == 1:
                return outside[0]
            return None
    return own[0] if len(own) == 1 else None


def _columns_of(columns: Mapping[str, Collection[str]], table: str) -> set[str]:
    for name, cols in columns.items():
        if same_table(name, table):
            return {c.lower() for c in cols}
    return set()


def _function_over(column: exp.Column, stop: exp.Expr) -> str | None:
    """What wraps the column inside the comparison (a function or arithmetic), which a plain index on
    the column cannot serve; ``None`` for the bare column (parentheses and casts aside)."""
    node = column.parent
    while node is not None and node is not stop:
        if isinstance(node, exp.Func) and not isinstance(node, exp.Cast):
            return str(node.name).lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()
        if not isinstance(node, exp.Paren | exp.Cast | exp.Tuple):
            return type(node).__name__.lower()
        node = node.parent
    return None


def _condition_uses(
    condition: exp.Expr,
    sources: Mapping[str, str],
    columns: Mapping[str, Collection[str]] | None,
    outer: Mapping[str, str],
) -> list[ColumnUse]:
    uses: list[ColumnUse] = []
    for node in [condition, *_own_blocks(condition)]:
        op = next((o for cls, o in _COMPARISONS if isinstance(node, cls)), None)
        if op is None:
            continue
        operands = [
            node.this,
            *(v for k, v in node.args.items() if k != "this" and isinstance(v, exp.Expr)),
        ]
        cols = [
            c
            for side in operands
            for c in ([side] if isinstance(side, exp.Column) else side.find_all(exp.Column))
        ]
        own = [c for c in cols if not any(isinstance(a, _BLOCKS) for a in _ancestors(c, node))]
        tables = {_resolve(c, sources, columns, outer) for c in own}
        join = len([t for t in tables if t is not None]) >= 2
        for col in own:
            uses.append(
                ColumnUse(
                    table=_resolve(col, sources, columns, outer),
                    column=col.name.lower(),
                    op=op,
                    function=_function_over(col, node),
                    join=join,
                )
            )
    return list(dict.fromkeys(uses))


def _ancestors(node: exp.Expr, stop: exp.Expr) -> Iterator[exp.Expr]:
    parent = node.parent
    while parent is not None and parent is not stop:
        yield parent
        parent = parent.parent


def _joins_without_equality(block: exp.Expr, sources: Mapping[str, str]) -> tuple[int, int]:
    """(joined tables, joins with no equality condition linking them to the rest)."""
    joins = [j for j in block.args.get("joins") or [] if isinstance(j, exp.Join)]
    where = block.args.get("where")
    linked: set[frozenset[str]] = set()
    for cond in [where, *(j.args.get("on") for j in joins)]:
        if cond is None:
            continue
        for eq in [cond, *cond.find_all(exp.EQ)]:
            if not isinstance(eq, exp.EQ):
                continue
            left, right = eq.this, eq.expression
            if isinstance(left, exp.Column) and isinstance(right, exp.Column):
                a, b = _resolve(left, sources, None), _resolve(right, sources, None)
                if a and b and a != b:
                    linked.add(frozenset((a, b)))
    loose = 0
    for j in joins:
        if j.args.get("using"):
            continue
        if str(j.args.get("kind") or "").upper() == "CROSS":
            loose += 1
            continue
        target = j.this
        if not isinstance(target, exp.Table):
            continue
        name = table_name(target)
        if not any(name in pair for pair in linked):
            loose += 1
    return len(joins), loose


def _outer_sources(outer: list[exp.Expr]) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in outer:
        found.update(_block_sources(block))
    return found


def _correlated_tables(
    block: exp.Expr,
    own: Mapping[str, str],
    outer: Mapping[str, str],
    columns: Mapping[str, Collection[str]] | None,
) -> list[str]:
    """Outer tables a nested block refers to: it runs once per outer row unless the planner unnests it."""
    if not outer:
        return []
    found: list[str] = []
    mine = set(own.values())
    for node in _own_blocks(block):
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
            continue
        qualifier = node.table.lower()
        if qualifier:
            if qualifier not in own and qualifier in outer:
                found.append(outer[qualifier])
            continue
        table = _resolve(node, own, columns, outer)
        if table is not None and table not in mine:
            found.append(table)
    return found


def _boolean_terms(tree: exp.Expr) -> int:
    return sum(1 for n in tree.walk() if isinstance(n, exp.And | exp.Or))


def _max_in_list(tree: exp.Expr) -> int:
    sizes = [len(n.expressions) for n in tree.find_all(exp.In) if n.expressions]
    return max(sizes, default=0)


@lru_cache(maxsize=2048)
def _analyze_cached(
    text: str, dialect: Dialect, schema: tuple[tuple[str, tuple[str, ...]], ...]
) -> SqlAnalysis:
    tree = parse(text, dialect)
    kind = statement_kind(tree)
    if tree is None:
        return SqlAnalysis(statement=_verb(text))
    columns = {t: cols for t, cols in schema} or None
    blocks = _blocks(tree)
    cte_names = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    tables = tuple(
        dict.fromkeys(
            table_name(t) for t in tree.find_all(exp.Table) if t.name and t.name.lower() not in cte_names
        )
    )
    predicates: list[ColumnUse] = []
    joins = loose = 0
    correlated: list[str] = []
    subqueries = max(len(blocks) - 1, 0)
    for block, outer in blocks:
        sources = {a: t for a, t in _block_sources(block).items() if t.rsplit(".", 1)[-1] not in cte_names}
        around = _outer_sources(outer)
        conditions = [block.args.get("where"), *(j.args.get("on") for j in block.args.get("joins") or [])]
        for cond in conditions:
            if cond is not None:
                predicates.extend(_condition_uses(cond, sources, columns, around))
        if isinstance(block, exp.Select):
            n, bad = _joins_without_equality(block, sources)
            joins += n
            loose += bad
        correlated.extend(_correlated_tables(block, sources, around, columns))
    top = tree if isinstance(tree, _BLOCKS) else (blocks[0][0] if blocks else tree)
    if isinstance(tree, exp.Insert):
        target = table_name(tree.this) if isinstance(tree.this, exp.Table) else None
        if target is None and isinstance(tree.this, exp.Schema) and isinstance(tree.this.this, exp.Table):
            target = table_name(tree.this.this)
    elif isinstance(tree, exp.Update | exp.Delete) and isinstance(tree.this, exp.Table):
        target = table_name(tree.this)
    else:
        target = tables[0] if tables else None
    select = top if isinstance(top, exp.Select) else None
    return SqlAnalysis(
        statement=kind,
        parsed=True,
        tables=tables,
        target=target,
        predicates=tuple(dict.fromkeys(predicates)),
        joins=joins,
        joins_without_equality=loose,
        subqueries=subqueries if kind != "insert" else len(blocks),
        correlated_subquery=bool(correlated),
        has_where=top.args.get("where") is not None,
        has_limit=select is not None
        and (select.args.get("limit") is not None or select.args.get("fetch") is not None),
        aggregates=select is not None
        and (
            select.args.get("group") is not None
            or any(isinstance(e.unalias(), exp.AggFunc) for e in select.expressions)
        ),
        select_star=select is not None
        and any(
            isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
            for e in select.expressions
        ),
        boolean_terms=_boolean_terms(tree),
        max_in_list=_max_in_list(tree),
        correlated_tables=tuple(dict.fromkeys(correlated)),
    )


def analyze(text: str, dialect: Dialect, columns: Mapping[str, Collection[str]] | None = None) -> SqlAnalysis:
    """The statement's shape; ``columns`` (table -> column names) resolves unqualified columns."""
    schema = tuple(
        sorted((t.lower(), tuple(sorted(c.lower() for c in cols))) for t, cols in (columns or {}).items())
    )
    return _analyze_cached(text, dialect, schema)


_VERBS: dict[str, StatementKind] = {
    "select": "select",
    "with": "select",
    "insert": "insert",
    "update": "update",
    "delete": "delete",
    "create": "ddl",
    "alter": "ddl",
    "drop": "ddl",
    "truncate": "ddl",
}


def _verb(text: str) -> StatementKind:
    """The first word's kind, for texts sqlglot cannot parse (a truncated digest, a vendor extension)."""
    words = re.findall(r"[A-Za-z_]+", _QUOTED.sub("", text))
    return _VERBS.get(words[0].lower(), "other") if words else "other"


def dialect_of(engine: str) -> Dialect:
    return "postgres" if engine == "postgres" else "mysql"


def qualify(text: str, dialect: Dialect, schema: str) -> str | None:
    """``text`` with every unqualified table put in ``schema``, so it plans without a default database."""
    tree = parse(text, dialect)
    if tree is None:
        return None
    copy = tree.copy()
    ctes = {c.alias_or_name.lower() for c in copy.find_all(exp.CTE)}
    for table in copy.find_all(exp.Table):
        if table.name and not table.db and table.name.lower() not in ctes:
            table.set("db", exp.to_identifier(schema))
    return copy.sql(dialect=dialect)


def aliases(text: str, dialect: Dialect) -> dict[str, str]:
    """Alias (and bare name) -> table for every table the statement names, across its blocks."""
    tree = parse(text, dialect)
    found: dict[str, str] = {}
    for block, _ in _blocks(tree) if tree is not None else []:
        for alias, table in _block_sources(block).items():
            found.setdefault(alias, table)
    return found
