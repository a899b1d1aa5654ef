"""Planner settings: one validated object, read from TOML so people can point sleuth at another model.

Lookup order: an explicit ``--config FILE``; else ``$SLEUTH_CONFIG``; else
``~/.config/sleuth/config.toml`` when it exists; else the defaults. Only the
``[planner]`` table is read (``[planner.budget]`` for limits), so the same file
can hold other areas' settings. TOML is parsed by ``tomllib`` (Python 3.11+);
on 3.10 the ``tomli`` package is needed only when a file is actually read.
Secrets never live in the file: the HTTP backend names the environment
variable that holds its key.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_PATH = Path("~/.config/sleuth/config.toml")

Backend = Literal["llama", "openai", "scripted"]
Strategy = Literal["choose", "json"]
Mode = Literal["auto", "never", "always"]


class ConfigError(ValueError):
    """A config file is missing, unreadable or invalid; the message names the file."""


class BudgetLimits(BaseModel):
    """Hard limits on one investigation; the defaults keep a fallback under ~30 s on 2 cores."""

    model_config = ConfigDict(extra="forbid")

    steps: int = Field(default=8, ge=1, description="tool calls")
    model_calls: int = Field(default=6, ge=1)
    tokens: int = Field(default=6000, ge=1, description="prompt + completion tokens of all model calls")
    wall_s: float = Field(default=60.0, gt=0)


class PlannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Backend = "llama"
    model_path: Path | None = Field(
        default=None, description="a GGUF file; default: the bundled Gemma 3 270M"
    )
    threads: int = Field(default=2, ge=1)
    n_ctx: int = Field(default=2048, ge=256)
    seed: int = 0
    base_url: str = "http://127.0.0.1:8080/v1"
    model_name: str = "default"
    api_key_env: str = Field(default="SLEUTH_API_KEY", description="environment variable holding the key")
    http_timeout_s: float = Field(default=60.0, gt=0)
    http_schema_field: Literal["json_schema", "guided_json"] = Field(
        default="json_schema", description="llama.cpp server: json_schema; vLLM: guided_json"
    )
    strategy: Strategy = Field(
        default="choose",
        description="choose: one constrained choice per decision; json: schema-constrained JSON",
    )
    choice_method: Literal["grammar", "likelihood"] = Field(
        default="likelihood",
        description="llama.cpp choose: enum-grammar greedy pick, or every option's likelihood",
    )
    mode: Mode = "auto"
    certainty_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    model_certainty_factor: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="the model counts as a rule with this certainty factor; 1.0 trusts it like a certain rule",
    )
    contradiction_margin: float = Field(default=0.1, ge=0.0, le=1.0)
    max_candidates: int = Field(default=6, ge=1)
    max_checks: int = Field(default=6, ge=1, description="options shown to the model")
    plan_size: int = Field(default=3, ge=1, le=10, description="checks chosen for the first layer")
    step_timeout_s: float = Field(default=10.0, gt=0)
    parallel: int = Field(default=4, ge=1)
    budget: BudgetLimits = Field(default_factory=BudgetLimits)

    @field_validator("model_path")
    @classmethod
    def _model_exists(cls, path: Path | None) -> Path | None:
        """A mistyped ``--model`` is a usage error now, not a fallback failure on the first incident."""
        if path is not None and not path.expanduser().is_file():
            raise ValueError(f"no such model file: {path}")
        return path.expanduser() if path is not None else None


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise ConfigError(f"{path}: reading TOML on Python 3.10 needs the 'tomli' package") from exc
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return data


def load_config(path: Path | None = None, **overrides: Any) -> PlannerConfig:
    """The effective config; ``overrides`` (from CLI flags) win over the file, ``None`` values are ignored."""
    explicit = path is not None or bool(os.environ.get("SLEUTH_CONFIG"))
    chosen = path or Path(os.environ.get("SLEUTH_CONFIG") or DEFAULT_CONFIG_PATH).expanduser()
    data: dict[str, Any] = {}
    if chosen.is_file():
        table = _read_toml(chosen).get("planner", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{chosen}: [planner] must be a table")
        data = dict(table)
    elif explicit:
        raise ConfigError(f"{chosen}: no such config file")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return PlannerConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{chosen}: planner.{where}: {first['msg']}") from exc
