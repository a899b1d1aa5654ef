"""The read-only guard every collector statement passes before it reaches a server.

Read-only transactions already stop writes on the server; this check stops
them in sleuth too, so a mistake in a collector query fails in tests (and on
a server whose role could write) instead of changing someone's database.

Two independent checks must both pass: a word screen over the text (with
literals and comments removed) and the SQL parser's tree (one statement, a
read at the root, no write, locking clause or side-effecting function
anywhere in it). A statement text taken from the server's statistics is only
ever wrapped in ``EXPLAIN`` without ``ANALYZE`` (``check_explainable``): the
parser check alone decides there, because a user's identifiers may be any
word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlglot import exp

from sources.live.errors import WriteRefused
from sources.live.sqltext import Dialect, parse_all

_READ_VERBS = ("select", "show")
# Words that turn a read into a write, lock or side effect even inside a SELECT.
_FORBIDDEN = re.compile(
    r"\b(insert|update|delete|merge|upsert|replace|drop|alter|create|truncate|grant|revoke|copy|call|do|"
    r"lock|vacuum|analyze|reindex|cluster|refresh|into|nextval|setval|pg_terminate_backend|"
    r"pg_cancel_backend|pg_reload_conf|set_config|kill|flush|purge|reset|load_file|sleep|benchmark)\b",
    re.IGNORECASE,
)
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# Functions with an effect beyond returning a value: signalling, sleeping, sequences, advisory
# locks, files, configuration, remote calls.
_SIDE_EFFECTS = re.compile(
    r"^(pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_sleep.*|sleep|benchmark|"
    r"nextval|setval|set_config|pg_advisory.*|pg_try_advisory.*|lo_.*|pg_file_.*|pg_read_.*|pg_write_.*|"
    r"load_file|get_lock|release_lock|release_all_locks|dblink.*|pg_switch_wal|pg_create_.*|pg_drop_.*|"
    r"pg_logical_.*|pg_replication_.*|pg_stat_reset.*|pg_stat_statements_reset|txid_current|"
    r"pg_current_xact_id|pg_notify|query_to_xml.*|xpath.*)$",
    re.IGNORECASE,
)
_WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Into,
    exp.Lock,
    exp.Command,
    exp.Set,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Use,
)
_DIALECTS: tuple[Dialect, ...] = ("postgres", "mysql")

# The only non-read statements a session may send: the ones that make it read-only and bounded.
CONTROL_STATEMENTS = frozenset(
    {
        "START TRANSACTION READ ONLY",
        "ROLLBACK",
        "SET SESSION TRANSACTION READ ONLY",
        "SET LOCAL plan_cache_mode = force_generic_plan",
    }
)
_CONTROL_PATTERNS = (
    re.compile(
        r"^SET SESSION (max_statement_time|MAX_EXECUTION_TIME|lock_wait_timeout|"
        r"innodb_lock_wait_timeout) = [0-9.]+$"
    ),
    re.compile(r"^DEALLOCATE sleuth_plan_[0-9]+$"),
)
PLAN_NAME = re.compile(r"^sleuth_plan_[0-9]+$")


def is_control(sql: str) -> bool:
    """True for the session-setup statements a read-only session is allowed to send."""
    text = sql.strip()
    return text in CONTROL_STATEMENTS or any(p.match(text) for p in _CONTROL_PATTERNS)


def _function_name(node: exp.Func) -> str:
    return str(node.name) if isinstance(node, exp.Anonymous) else node.sql_name()


def _tree_problem(tree: exp.Expr, *, allow_show: bool) -> str | None:
    """Why a parsed statement is not a plain read, or ``None`` when it is one."""
    is_show = isinstance(tree, exp.Show) or (
        isinstance(tree, exp.Command) and str(tree.this).upper() == "SHOW"
    )
    if is_show:
        return None if allow_show else "a SHOW command"
    if not isinstance(tree, exp.Query):
        return f"a {type(tree).__name__.upper()} statement"
    for node in tree.walk():
        if isinstance(node, _WRITES):
            return f"a {type(node).__name__.upper()} inside the query"
        if isinstance(node, exp.Func) and _SIDE_EFFECTS.match(_function_name(node)):
            return f"the function {_function_name(node).upper()}"
    if tree.args.get("locks"):
        return "a locking clause (FOR UPDATE/SHARE)"
    return None


@lru_cache(maxsize=1024)
def parser_problem(sql: str, dialect: Dialect | None = None, *, allow_show: bool = True) -> str | None:
    """Why the parser does not see exactly one plain read, or ``None`` when it does.

    Cached: a collector sends the same few statements every sample, and parsing is the
    guard's only real cost.

    Without a dialect every dialect that can parse the text must agree it is a read, and at
    least one must parse it: a text only one engine's grammar misreads is not trusted.
    """
    parsed_any = False
    for d in (dialect,) if dialect is not None else _DIALECTS:
        statements = parse_all(sql, d)
        if statements is None:
            continue
        parsed_any = True
        if len(statements) != 1:
            return "several statements at once" if statements else "nothing"
        problem = _tree_problem(statements[0], allow_show=allow_show)
        if problem is not None:
            return problem
    return None if parsed_any else "a statement the SQL parser cannot read"


def check_read_only(sql: str, dialect: Dialect | None = None) -> str:
    """Return ``sql`` when it is one plain SELECT/SHOW; raise ``WriteRefused`` otherwise."""
    bare = _LITERAL.sub("''", _COMMENT.sub(" ", sql)).strip().rstrip(";").strip()
    verb = bare.split(None, 1)[0].lower() if bare else ""
    if verb not in _READ_VERBS:
        raise WriteRefused(f"refused to send a non-read statement starting with {verb or 'nothing'!r}")
    if ";" in bare:
        raise WriteRefused("refused to send several statements at once")
    found = _FORBIDDEN.search(bare)
    if found:
        raise WriteRefused(f"refused to send a statement containing {found.group(0).upper()!r}")
    problem = parser_problem(sql, dialect)
    if problem is not None:
        raise WriteRefused(f"refused to send {problem}")
    return sql


def check_explainable(sql: str, dialect: Dialect) -> str:
    """Return ``sql`` when it may be wrapped in ``EXPLAIN`` (never ``ANALYZE``): one plain query.

    The text comes from the server's statement statistics, so it is judged by its parse tree
    alone: a query that selects, with no write, lock, ``INTO`` or side-effecting function.
    """
    problem = parser_problem(sql, dialect, allow_show=False)
    if problem is not None:
        raise WriteRefused(f"refused to explain {problem}")
    return sql


def check_plan_statement(sql: str, dialect: Dialect) -> str:
    """The statements a session sends to get a plan: EXPLAIN without ANALYZE, and the generic-plan steps."""
    text = sql.strip()
    if dialect == "postgres":
        for prefix in ("EXPLAIN (FORMAT JSON) ", "PREPARE "):
            if not text.startswith(prefix):
                continue
            rest = text[len(prefix) :]
            if prefix == "PREPARE ":
                name, _, body = rest.partition(" AS ")
                if not PLAN_NAME.match(name):
                    break
                check_explainable(body, dialect)
                return sql
            execute = re.fullmatch(r"EXECUTE (sleuth_plan_[0-9]+)(\((NULL)(, NULL)*\))?", rest)
            if execute is None:
                check_explainable(rest, dialect)
            return sql
    elif text.startswith("EXPLAIN FORMAT=JSON "):
        check_explainable(text[len("EXPLAIN FORMAT=JSON ") :], dialect)
        return sql
    raise WriteRefused("refused a plan statement that is not EXPLAIN (FORMAT JSON) of a query")
