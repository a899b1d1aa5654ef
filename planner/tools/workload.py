"""Workload tools: top SQL, lock waits, events and settings — the evidence metrics cannot show.

Their facts are built by ``rules.observations`` and ``rules.workload`` so they
carry exactly the names and attributes rule conditions test (``top_sql``,
``lock_waits``, ``event``, ``settings``, and for a capture with statement and
table sections ``statement``, ``table``, ``index_candidate``,
``redundant_index``, ``workload``); a rule written against an incident file
fires on what a tool found on a live server. Incident text (SQL, descriptions)
is carried as data, truncated, and never interpreted.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from models import Fact, Incident, SqlDigest
from planner.tools.base import NoArgs, ToolContext, ToolOutput
from rules import observations
from rules.workload import workload_facts
from sources.live.sqltext import dialect_of

TEXT_LIMIT = 160
SHOWN = 5

OrderBy = Literal["total_time", "calls", "rows_examined", "temp"]


class TopSqlArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_by: OrderBy = "total_time"


class SettingsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    names: list[str] = Field(default_factory=list, max_length=20)


@runtime_checkable
class _Captured(Protocol):
    """A source backed by an incident (a file or a live capture), whose statement and table sections
    the rules can read; ``DataSource`` itself has no method for them."""

    incident: Incident


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _sourced(facts: list[Fact], step: str) -> list[Fact]:
    return [f.model_copy(update={"source": step}) for f in facts]


def _key(order_by: OrderBy, d: SqlDigest) -> float:
    if order_by == "calls":
        return float(d.calls)
    if order_by == "rows_examined":
        return float(d.rows_examined or 0)
    if order_by == "temp":
        return float((d.temp_disk_tables or 0) + (d.temp_blks_written or 0))
    return d.total_time_ms


def top_sql(ctx: ToolContext, args: TopSqlArgs, step: str) -> ToolOutput:
    digests = ctx.source.top_sql()
    if not digests:
        return ToolOutput(summary="no statement statistics in the data", data={"statements": []})
    ranked = sorted(digests, key=lambda d: (-_key(args.order_by, d), d.digest))[:SHOWN]
    total = sum(_key(args.order_by, d) for d in digests) or 1.0
    top = ranked[0]
    share = _key(args.order_by, top) / total
    rows = [
        {
            "digest": d.digest[:64],
            "text": clip(d.text),
            "calls": d.calls,
            "total_time_ms": d.total_time_ms,
            "rows_examined": d.rows_examined,
        }
        for d in ranked
    ]
    summary = f"top by {args.order_by}: {share:.0%} from {clip(top.text, 100)!r} ({top.calls} calls)"
    facts = _sourced(observations.top_sql_facts(digests, dialect_of(ctx.source.instance().engine)), step)
    facts += _sourced(_workload(ctx), step)
    rising = [f for f in facts if f.name == "statement" and f.attrs.get("rose_with_window") is True]
    if rising:
        summary += f"; rose with the window: {clip(str(rising[0].attrs.get('text', '')), 100)!r}"
    return ToolOutput(summary=summary, data={"order_by": args.order_by, "statements": rows}, facts=facts)


def _workload(ctx: ToolContext) -> list[Fact]:
    """Statement, table and index facts, when the source carries those sections."""
    if not isinstance(ctx.source, _Captured):
        return []
    known = observations.settings_fact(ctx.source.incident.settings)
    numbers = {k: v for k, v in (known.attrs.items() if known is not None else ()) if isinstance(v, float)}
    return workload_facts(ctx.source.incident, ctx.window, numbers)


def lock_waits(ctx: ToolContext, _args: NoArgs, step: str) -> ToolOutput:
    fact = observations.lock_wait_fact(ctx.source.lock_waits())
    if fact is None:
        return ToolOutput(summary="no lock waits recorded", data={"count": 0})
    return ToolOutput(summary=fact.text, data=dict(fact.attrs), facts=_sourced([fact], step))


def events_in_window(ctx: ToolContext, _args: NoArgs, step: str) -> ToolOutput:
    facts = observations.event_facts(ctx.source.events(), ctx.window)
    if ctx.window is not None:
        facts = [f for f in facts if f.attrs.get("near_window") is True]
    rows = [{"kind": f.attrs["kind"], "text": clip(f.text)} for f in facts]
    kinds = ", ".join(sorted({str(f.attrs["kind"]) for f in facts})) or "none"
    return ToolOutput(
        summary=f"{len(facts)} events near the window ({kinds})",
        data={"events": rows},
        facts=_sourced(facts, step),
    )


def settings(ctx: ToolContext, args: SettingsArgs, step: str) -> ToolOutput:
    known = ctx.source.settings()
    wanted = args.names or sorted(known)
    found = {n: clip(known[n], 60) for n in wanted if n in known}
    fact = observations.settings_fact(found, ctx.signals)
    summary = ", ".join(f"{n}={v}" for n, v in found.items()) or "none of the settings are recorded"
    return ToolOutput(
        summary=summary,
        data={"settings": found, "missing": [n for n in wanted if n not in known]},
        facts=_sourced([fact], step) if fact is not None else [],
    )
