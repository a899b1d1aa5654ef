"""pg_stat_user_tables / pg_stat_user_indexes rows as table readings and table pictures."""

from __future__ import annotations

import re
from collections.abc import Iterable

from models import IndexInfo, TableInfo
from sources.live.sample import TableReading
from sources.live.sections import number
from sources.live.session import Row

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_TABLE_COUNTERS = (
    "seq_scan",
    "seq_tup_read",
    "idx_scan",
    "n_tup_ins",
    "n_tup_upd",
    "n_tup_del",
    "n_tup_hot_upd",
)
_TRUE = frozenset({"on", "true", "yes", "1", "t"})


def name_list(names: Iterable[str]) -> str | None:
    """``'a', 'b'`` for the bare table names that are plain identifiers; ``None`` when there are none.

    Names come from parsed statement texts, so anything that is not a plain identifier is left
    out rather than quoted: it cannot reach the SQL.
    """
    bare = sorted({n.rsplit(".", 1)[-1] for n in names})
    safe = [n for n in bare if _IDENTIFIER.match(n)]
    return ", ".join(f"'{n}'" for n in safe) if safe else None


def readings(tables: list[Row], indexes: list[Row]) -> list[TableReading]:
    scans: dict[tuple[str, str], dict[str, float]] = {}
    for r in indexes:
        value = number(r.get("idx_scan"))
        if value is not None:
            scans.setdefault((str(r["schema_name"]), str(r["name"])), {})[str(r["index_name"])] = value
    out: list[TableReading] = []
    for r in tables:
        key = (str(r["schema_name"]), str(r["name"]))
        counters = {k: v for k in _TABLE_COUNTERS if (v := number(r.get(k))) is not None}
        out.append(
            TableReading(schema=key[0], name=key[1], counters=counters, index_scans=scans.get(key, {}))
        )
    return out


def _int(value: object) -> int | None:
    n = number(value)
    return None if n is None else max(0, round(n))


def _wanted(row: Row, names: list[str]) -> bool:
    schema, name = str(row["schema_name"]), str(row["name"])
    return any(n == name or n == f"{schema}.{name}" for n in (x.lower() for x in names))


def details(tables: list[Row], indexes: list[Row], names: list[str]) -> list[TableInfo]:
    by_table: dict[tuple[str, str], list[IndexInfo]] = {}
    for r in indexes:
        if not _wanted(r, names):
            continue
        columns = str(r.get("columns") or "")
        by_table.setdefault((str(r["schema_name"]), str(r["name"])), []).append(
            IndexInfo(
                name=str(r["index_name"]),
                columns=[c for c in columns.split(",") if c],
                definition=str(r.get("definition") or ""),
                unique=bool(r.get("is_unique")),
                primary=bool(r.get("is_primary")),
                size_bytes=_int(r.get("size_bytes")),
                scans=_int(r.get("scans")),
            )
        )
    out: list[TableInfo] = []
    for r in tables:
        if not _wanted(r, names):
            continue
        key = (str(r["schema_name"]), str(r["name"]))
        table_switch = r.get("autovacuum_table")
        switch = table_switch if table_switch is not None else r.get("autovacuum_global")
        out.append(
            TableInfo(
                schema_name=key[0],
                name=key[1],
                size_bytes=_int(r.get("size_bytes")),
                live_rows=_int(r.get("live_rows")),
                dead_rows=_int(r.get("dead_rows")),
                last_vacuum=number(r.get("last_vacuum")),
                last_autovacuum=number(r.get("last_autovacuum")),
                last_analyze=number(r.get("last_analyze")),
                last_autoanalyze=number(r.get("last_autoanalyze")),
                autovacuum_enabled=None if switch is None else str(switch).strip().lower() in _TRUE,
                columns=[c for c in str(r.get("columns") or "").split(",") if c],
                indexes=sorted(by_table.get(key, []), key=lambda i: i.name),
            )
        )
    return out
