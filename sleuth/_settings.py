"""Settings: one validated object from the config file, ``SLEUTH_*`` environment variables and flags.

Precedence, highest first: values the caller passes (command-line flags), the
environment (``SLEUTH_MAX_FILE_MB``, ``SLEUTH_PLANNER__THREADS``; ``__`` reaches
into a table), the TOML file, the defaults. The file is ``--config FILE``, else
``$SLEUTH_CONFIG``, else ``config.toml`` in the user's config directory
(``$XDG_CONFIG_HOME/sleuth`` on Linux, through platformdirs); a file that was
named explicitly must exist, the default one may not. Every command reads the
same file, so ``--config`` means one thing everywhere.

Secrets never live in the file: the DSN comes from ``$SLEUTH_DSN`` or a flag,
and the HTTP backend names the variable that holds its key.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from models.defaults import empty_list
from models.fleet import WatchTuning
from planner.config import PlannerConfig

CONFIG_ENV = "SLEUTH_CONFIG"
APP_NAME = "sleuth"


class SettingsError(ValueError):
    """The configuration cannot be used; the one-line message names the file or variable and the field."""


def user_config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def user_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def user_cache_dir() -> Path:
    return platformdirs.user_cache_path(APP_NAME)


def default_config_file() -> Path:
    return user_config_dir() / "config.toml"


class HistorySettings(BaseModel):
    """The ``[history]`` table: where diagnoses are recorded, and whether every one is."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL (sqlite:///FILE or postgresql://...); default: history.sqlite "
        "in the user data directory. Prefer $SLEUTH_HISTORY__URL or a .pgpass for a password",
    )
    record: bool = Field(default=False, description="record every diagnosis (as --record does)")
    similar: int = Field(
        default=3, ge=0, le=20, description="confirmed past incidents shown with each diagnosis"
    )


class WatchSettings(WatchTuning):
    """The ``[watch]`` table: how ``sleuth watch`` samples (a fleet file may override it per server),
    where it keeps incidents and its state, and whom it tells."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notify: list[SecretStr] = Field(
        default_factory=empty_list,
        description="Apprise URLs (slack://..., mailto://..., json://...); they carry tokens, so prefer "
        "$SLEUTH_WATCH__NOTIFY='[\"slack://...\"]'",
    )
    hook: list[str] = Field(
        default_factory=empty_list,
        description="a command run per notification, as argv (never through a shell); the event is on "
        "its stdin as JSON and in SLEUTH_EVENT_* variables",
    )
    per_server_per_hour: int = Field(default=12, ge=1, le=3600, description="notifications per server")
    fleet_per_hour: int = Field(default=60, ge=1, le=36000, description="notifications for the whole fleet")
    incidents_dir: Path | None = Field(
        default=None, description="incident files of the watcher (default: watch/incidents in the data dir)"
    )
    state_dir: Path | None = Field(
        default=None, description="the watcher's state (default: watch/state in the user data directory)"
    )


class Settings(BaseSettings):
    """Everything a user may configure; each command reads only the part it needs."""

    model_config = SettingsConfigDict(
        env_prefix="SLEUTH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=False,
    )

    planner: PlannerConfig = Field(default_factory=PlannerConfig)
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description='TUI key remapping: binding id = "keys" (e.g. "sleuth.quit" = "ctrl+q")',
    )
    rules: list[Path] = Field(
        default_factory=empty_list, description="rule files or directories; empty means the shipped packs"
    )
    graph: list[Path] = Field(
        default_factory=empty_list,
        description="knowledge-graph YAML files or directories; empty means the shipped graph",
    )
    max_file_mb: float = Field(default=64.0, gt=0, description="largest incident file read, in MB")
    cache_dir: Path | None = Field(
        default=None,
        description="where the graph and rule books, once parsed and checked, are kept for the next run "
        "(default: compiled/ in the user cache directory)",
    )
    dsn: SecretStr | None = Field(
        default=None, description="live server to collect from (prefer $SLEUTH_DSN)"
    )
    history: HistorySettings = Field(default_factory=HistorySettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)

    @field_validator("keymap")
    @classmethod
    def _keys_given(cls, keymap: dict[str, str]) -> dict[str, str]:
        """A binding mapped to nothing would silently lose its key; say so instead."""
        for binding_id, keys in keymap.items():
            if not keys.strip():
                raise ValueError(f"{binding_id} must be a non-empty key string")
        return {k: v.strip() for k, v in keymap.items()}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_data = _FILE_DATA.get(settings_cls, {})
        return (init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=dict(file_data)))

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def compiled_dir(self) -> Path:
        return self.cache_dir or user_cache_dir() / "compiled"


# The file's table for the next ``Settings`` built, keyed by class; set and cleared by ``load_settings``
# under its lock, because pydantic-settings builds sources from the class, not the instance.
_FILE_DATA: dict[type[BaseSettings], Mapping[str, Any]] = {}
_LOCK = threading.Lock()


def config_file(explicit: Path | None = None) -> tuple[Path, bool]:
    """The config file to read, and whether the user named it (then it must exist)."""
    if explicit is not None:
        return explicit.expanduser(), True
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser(), True
    return default_config_file(), False


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """The effective settings; ``overrides`` whose value is ``None`` are ignored (an unset flag)."""
    path, explicit = config_file(config)
    data: dict[str, Any] = {}
    if path.is_file():
        data = _read_toml(path)
    elif explicit:
        raise SettingsError(f"{path}: no such config file")
    given = {k: v for k, v in overrides.items() if v is not None}
    with _LOCK:
        _FILE_DATA[Settings] = data
        try:
            return Settings(**given)
        except ValidationError as exc:
            raise SettingsError(_describe(exc, path, data)) from None
        finally:
            _FILE_DATA.pop(Settings, None)


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    return data


def _describe(exc: ValidationError, path: Path, data: Mapping[str, Any]) -> str:
    """One line: where the bad value came from (the file or the environment), the field, the reason."""
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    where = ".".join(loc) or "(top level)"
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    node: Any = data
    for part in loc:
        node = node.get(part) if isinstance(node, Mapping) else None
    if node is not None or (first["type"] == "extra_forbidden" and loc and loc[0] in data):
        return f"{path}: {where}: {message}"
    env = "SLEUTH_" + "__".join(p.upper() for p in loc)
    if env in os.environ:
        return f"${env}: {message}"
    return f"{where}: {message}"
