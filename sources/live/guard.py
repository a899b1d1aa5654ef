"""The read-only guard every collector statement passes before it reaches a server.

Read-only transactions already stop writes on the server; this check stops
them in sleuth too, so a mistake in a collector query fails in tests (and on
a server whose role could write) instead of changing someone's database.
"""

from __future__ import annotations

import re

from sources.live.errors import WriteRefused

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

# The only non-read statements a session may send: the ones that make it read-only and bounded.
CONTROL_STATEMENTS = frozenset(
    {
        "START TRANSACTION READ ONLY",
        "ROLLBACK",
        "SET SESSION TRANSACTION READ ONLY",
    }
)
_CONTROL_PATTERNS = (
    re.compile(
        r"^SET SESSION (max_statement_time|MAX_EXECUTION_TIME|lock_wait_timeout|"
        r"innodb_lock_wait_timeout) = [0-9.]+$"
    ),
)


def is_control(sql: str) -> bool:
    """True for the session-setup statements a read-only session is allowed to send."""
    text = sql.strip()
    return text in CONTROL_STATEMENTS or any(p.match(text) for p in _CONTROL_PATTERNS)


def check_read_only(sql: str) -> str:
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
    return sql
