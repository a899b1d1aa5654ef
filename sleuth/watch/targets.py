"""Which servers to watch and how: the fleet file or one DSN, each server's tuning resolved.

Every setting has one value per server, from (last wins) the defaults here,
the ``[watch]`` table of the config file, the fleet file's ``defaults`` and
the server's own ``settings``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from models import Fleet, FleetServer, Problem, WatchTuning
from models.fleet import PlannerPolicy
from sleuth._errors import UsageError
from sleuth.watch.detector import MIN_VIEW
from sources.live.dsn import DsnError, parse_dsn
from sources.yamlfile import YamlPath, read_yaml


@dataclass(frozen=True)
class Tuning:
    interval_s: float = 1.0
    ring_s: float = 900.0
    view_s: float = 180.0
    max_incident_s: float = 600.0
    rediagnose_s: float = 15.0
    settle_s: float = 20.0
    statement_timeout_s: float = 2.0
    planner: PlannerPolicy = "auto"
    keep_literals: bool = False
    confirm: int = 2

    @property
    def view_samples(self) -> int:
        return max(1, round(self.view_s / self.interval_s))

    @property
    def baseline_s(self) -> float:
        """The normal time kept before an onset: enough that the whole incident, up to its cap, is a
        segment the test may weigh (at most two thirds of what it sees)."""
        return min(self.ring_s, max(self.view_s, self.max_incident_s / 2))


_FIELDS = {
    "interval": "interval_s",
    "ring": "ring_s",
    "view": "view_s",
    "max_incident": "max_incident_s",
    "rediagnose": "rediagnose_s",
    "settle": "settle_s",
    "statement_timeout": "statement_timeout_s",
    "planner": "planner",
    "keep_literals": "keep_literals",
}


def resolve(*layers: WatchTuning) -> Tuning:
    values: dict[str, object] = {}
    for layer in layers:
        for name, attr in _FIELDS.items():
            value = getattr(layer, name)
            if value is not None:
                values[attr] = value
    tuning = Tuning(**values)  # type: ignore[arg-type]
    if tuning.view_s > tuning.ring_s:
        raise UsageError(f"view ({tuning.view_s:g} s) must not be longer than ring ({tuning.ring_s:g} s)")
    if tuning.view_s < MIN_VIEW * tuning.interval_s:
        raise UsageError(
            f"view ({tuning.view_s:g} s) must hold at least {MIN_VIEW} samples at interval {tuning.interval_s:g} s"
        )
    return tuning


@dataclass(frozen=True)
class Target:
    """One server to watch; ``dsn`` is a secret (never in a repr or a message)."""

    name: str
    dsn: str = field(repr=False)
    tags: tuple[str, ...] = ()
    tuning: Tuning = field(default_factory=Tuning)

    @property
    def where(self) -> str:
        """The DSN as it may be shown: ``user:***@host:port/db``."""
        try:
            return str(parse_dsn(self.dsn))
        except DsnError:
            return "(a DSN that does not parse)"


class FleetError(UsageError):
    """A fleet file that cannot be used; one ``FILE:LINE:COL`` line per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_fleet(path: Path) -> Fleet:
    """The fleet file, validated; ``FleetError`` lists every problem with its place in the file."""
    doc = read_yaml(path)
    if doc.problems:
        raise FleetError(sorted(doc.problems))
    if doc.data is None:
        raise FleetError(
            [Problem(str(path), 1, 1, "-", "empty fleet file: list the servers under `servers:`")]
        )
    try:
        fleet = Fleet.model_validate(doc.data)
    except ValidationError as exc:
        raise FleetError(sorted(doc.validation_problems(exc, subject=_server_of(doc.data)))) from None
    problems = [
        doc.problem(("servers", i, "dsn"), server.name, str(exc))
        for i, server in enumerate(fleet.servers)
        if server.dsn is not None
        for exc in _dsn_problem(server.dsn)
    ]
    if problems:
        raise FleetError(problems)
    return fleet


def _dsn_problem(dsn: str) -> list[DsnError]:
    try:
        parse_dsn(dsn)
    except DsnError as exc:
        return [exc]
    return []


def _server_of(data: object) -> Callable[[YamlPath], tuple[str, int]]:
    def subject(path: YamlPath) -> tuple[str, int]:
        if len(path) >= 2 and path[0] == "servers" and isinstance(path[1], int) and isinstance(data, dict):
            servers = data.get("servers")
            if isinstance(servers, list) and path[1] < len(servers) and isinstance(servers[path[1]], dict):
                name = servers[path[1]].get("name")
                if isinstance(name, str) and name:
                    return name, 2
        return "-", 0

    return subject


def fleet_targets(fleet: Fleet, config: WatchTuning, environ: dict[str, str] | None = None) -> list[Target]:
    """Each server with its DSN (read from its variable) and tuning; ``UsageError`` for a missing variable."""
    env = os.environ if environ is None else environ
    targets: list[Target] = []
    missing: list[str] = []
    for server in fleet.servers:
        dsn = _dsn_of(server, env)
        if dsn is None:
            missing.append(f"{server.name}: ${server.dsn_env} is not set")
            continue
        try:
            parse_dsn(dsn)
        except DsnError as exc:
            missing.append(f"{server.name}: {exc}")
            continue
        targets.append(
            Target(server.name, dsn, tuple(server.tags), resolve(config, fleet.defaults, server.settings))
        )
    if missing:
        raise UsageError("\n".join(missing))
    return targets


def _dsn_of(server: FleetServer, env: os._Environ[str] | dict[str, str]) -> str | None:
    if server.dsn is not None:
        return server.dsn
    assert server.dsn_env is not None
    value = env.get(server.dsn_env)
    return value or None


def single_target(dsn: str, config: WatchTuning, name: str | None = None) -> Target:
    """``sleuth watch --dsn``: one server, named after its host and port unless named."""
    try:
        parsed = parse_dsn(dsn)
    except DsnError as exc:
        raise UsageError(str(exc)) from None
    label = name or f"{parsed.family}-{parsed.host}-{parsed.port}".replace(":", "_").replace("/", "_")
    return Target(label, dsn, (), resolve(config))
