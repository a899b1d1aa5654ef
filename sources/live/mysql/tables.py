"""performance_schema table and index I/O and information_schema metadata as table readings and pictures."""

from __future__ import annotations

import re
from collections.abc import Iterable

from models import IndexInfo, TableInfo
from sources.live.sample import TableReading
from sources.live.sections import number
from sources.live.session import Row

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def pair_list(names: Iterable[str]) -> str | None:
    """``('s', 't'), ...`` for the schema-qualified names that are plain identifiers; else ``None``.

    Names come from parsed statement texts, so anything that is not a plain identifier is left
    out rather than quoted: it cannot reach the SQL.
    """
    pairs: set[tuple[str, str]] = set()
    for n in names:
        schema, _, table = n.rpartition(".")
        if schema and _IDENTIFIER.match(schema) and _IDENTIFIER.match(table):
            pairs.add((schema, table))
    return ", ".join(f"('{s}', '{t}')" for s, t in sorted(pairs)) if pairs else None


def _key(row: Row) -> tuple[str, str]:
    return str(row["schema_name"]), str(row["name"])


def readings(tables: list[Row], indexes: list[Row]) -> list[TableReading]:
    scans: dict[tuple[str, str], dict[str, float]] = {}
    full: dict[tuple[str, str], float] = {}
    for r in indexes:
        value = number(r.get("fetched"))
        if value is None:
            continue
        if r.get("index_name") is None:
            full[_key(r)] = value
        else:
            scans.setdefault(_key(r), {})[str(r["index_name"])] = value
    out: list[TableReading] = []
    for r in tables:
        key = _key(r)
        counters = {
            k: v for k in ("n_tup_ins", "n_tup_upd", "n_tup_del") if (v := number(r.get(k))) is not None
        }
        if key in full:
            counters["seq_tup_read"] = full[key]
        if key in scans:
            counters["idx_scan"] = sum(scans[key].values())
        out.append(
            TableReading(schema=key[0], name=key[1], counters=counters, index_scans=scans.get(key, {}))
        )
    return out


def _definition(schema: str, table: str, name: str, columns: list[str], unique: bool) -> str:
    kind = "PRIMARY KEY" if name == "PRIMARY" else f"{'UNIQUE ' if unique else ''}INDEX `{name}`"
    return f"ALTER TABLE `{schema}`.`{table}` ADD {kind} ({', '.join(f'`{c}`' for c in columns)})"


def details(
    tables: list[Row], columns: list[Row], indexes: list[Row], current: dict[tuple[str, str], TableReading]
) -> list[TableInfo]:
    cols: dict[tuple[str, str], list[str]] = {}
    for r in columns:
        cols.setdefault(_key(r), []).append(str(r["column_name"]))
    parts: dict[tuple[str, str, str], list[Row]] = {}
    for r in indexes:
        parts.setdefault((*_key(r), str(r["index_name"])), []).append(r)
    by_table: dict[tuple[str, str], list[IndexInfo]] = {}
    for (schema, table, name), rows in sorted(parts.items()):
        ordered = sorted(rows, key=lambda r: number(r.get("position")) or 0.0)
        names = [str(r["column_name"]) for r in ordered]
        unique = not any(number(r.get("non_unique")) for r in ordered)
        reading = current.get((schema, table))
        fetched = reading.index_scans.get(name) if reading is not None else None
        by_table.setdefault((schema, table), []).append(
            IndexInfo(
                name=name,
                columns=[n.lower() for n in names],
                definition=_definition(schema, table, name, names, unique),
                unique=unique,
                primary=name == "PRIMARY",
                scans=None if fetched is None else max(0, round(fetched)),
            )
        )
    out: list[TableInfo] = []
    for r in tables:
        key = _key(r)
        live = number(r.get("live_rows"))
        size = number(r.get("size_bytes"))
        out.append(
            TableInfo(
                schema_name=key[0],
                name=key[1],
                size_bytes=None if size is None else max(0, round(size)),
                live_rows=None if live is None else max(0, round(live)),
                columns=[c.lower() for c in cols.get(key, [])],
                indexes=by_table.get(key, []),
            )
        )
    return out
