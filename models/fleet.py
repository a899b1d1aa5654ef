"""The fleet file: the servers ``sleuth watch --fleet`` keeps an eye on, and how.

Each server names its DSN directly or, better, the environment variable that
holds it (the password stays out of the file); tags group servers in
notifications and the fleet screen; ``settings`` overrides the fleet's
``defaults``, which override the ``[watch]`` table of the config file.
Durations are seconds or text such as ``500ms``, ``15s``, ``15m``, ``1h``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from models.defaults import empty_list

_DURATION = re.compile(r"^\s*(?P<n>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s|m|h)?\s*$")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
_ENV = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


def seconds(value: Any) -> Any:
    """``15s``, ``2m``, ``500ms``, ``1h`` or a bare number of seconds; other values are left to pydantic."""
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found is None:
            raise ValueError(f"not a duration: {value!r} (use e.g. 1s, 15m, 500ms)")
        return float(found["n"]) * _SCALE[found["unit"]]
    return value


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*(ms|s|m|h)?\s*$"},
    ]
}


def _between(lo: float, hi: float) -> AfterValidator:
    """A duration between ``lo`` and ``hi`` seconds."""

    def check(value: float) -> float:
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo:g} s and {hi:g} s (got {value:g} s)")
        return value

    return AfterValidator(check)


_AS_SECONDS = BeforeValidator(seconds)
_AS_DURATION = WithJsonSchema(_DURATION_SCHEMA)
PlannerPolicy = Literal["never", "auto", "always"]


class _Strict(BaseModel):
    # Built when first validated: only ``sleuth watch`` reads a fleet; the settings build their own table.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class WatchTuning(_Strict):
    """How one server is watched; every field left out takes the fleet's or the config's value."""

    interval: Annotated[float, _AS_SECONDS, _between(0.1, 3600), _AS_DURATION] | None = Field(
        default=None, description="time between samples"
    )
    ring: Annotated[float, _AS_SECONDS, _between(60, 86400), _AS_DURATION] | None = Field(
        default=None, description="recent samples kept in memory (default 15m)"
    )
    view: Annotated[float, _AS_SECONDS, _between(10, 3600), _AS_DURATION] | None = Field(
        default=None, description="recent samples an onset is looked for in (default 3m)"
    )
    max_incident: Annotated[float, _AS_SECONDS, _between(10, 86400), _AS_DURATION] | None = Field(
        default=None, description="an incident still open after this is closed (default 10m)"
    )
    rediagnose: Annotated[float, _AS_SECONDS, _between(1, 3600), _AS_DURATION] | None = Field(
        default=None, description="how often an open incident is diagnosed again"
    )
    settle: Annotated[float, _AS_SECONDS, _between(0, 3600), _AS_DURATION] | None = Field(
        default=None, description="after (re)connecting, how long before onsets are looked for"
    )
    statement_timeout: Annotated[float, _AS_SECONDS, _between(0.1, 60), _AS_DURATION] | None = Field(
        default=None, description="the longest one catalogue query may run"
    )
    planner: PlannerPolicy | None = Field(
        default=None, description="the planner on the incident's final diagnosis: never, auto, always"
    )
    keep_literals: bool | None = Field(default=None, description="keep the literals of statement texts")


class FleetServer(_Strict):
    """One server: a name, where it is (``dsn`` or ``dsn_env``), tags, and its own settings."""

    name: str = Field(pattern=_NAME, description="unique in the fleet; names its incidents and state")
    dsn: str | None = Field(
        default=None, min_length=1, description="postgresql://... or mysql://...; prefer dsn_env"
    )
    dsn_env: str | None = Field(
        default=None, pattern=_ENV, description="the environment variable holding the DSN"
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=empty_list)
    settings: WatchTuning = Field(default_factory=WatchTuning)

    @model_validator(mode="after")
    def _one_place(self) -> FleetServer:
        if (self.dsn is None) == (self.dsn_env is None):
            raise ValueError("give exactly one of dsn and dsn_env")
        return self

    def __repr__(self) -> str:
        # The DSN may carry a password: never in a repr, a log line or a traceback.
        where = f"dsn_env={self.dsn_env!r}" if self.dsn_env else "dsn=***"
        return f"FleetServer(name={self.name!r}, {where}, tags={self.tags!r})"

    __str__ = __repr__


class Fleet(_Strict):
    """The servers of one watcher, and the settings they share."""

    defaults: WatchTuning = Field(default_factory=WatchTuning)
    servers: list[FleetServer] = Field(min_length=1, max_length=10000)

    @model_validator(mode="after")
    def _unique_names(self) -> Fleet:
        seen: set[str] = set()
        for server in self.servers:
            if server.name in seen:
                raise ValueError(f"server name {server.name!r} is used twice")
            seen.add(server.name)
        return self
