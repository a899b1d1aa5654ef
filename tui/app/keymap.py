"""User key remapping: a TOML file of binding id → keys, applied with ``App.set_keymap``.

Bindings carry ids (``sleuth.*``) so a remap survives changes to the default
keys. A bad file must stop ``sleuth tui`` with one line naming the file rather
than start an app whose keys silently differ from what the user wrote.

The file looks like::

    [keymap]
    "sleuth.quit" = "ctrl+q"
    "sleuth.batch" = "f5,B"
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any


class KeymapError(ValueError):
    """A keymap file that cannot be used; the message names the file."""


def default_keymap_path() -> Path:
    """``$XDG_CONFIG_HOME/sleuth/keymap.toml``, defaulting to ``~/.config``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sleuth" / "keymap.toml"


def _toml_loads(text: str) -> dict[str, Any]:
    # tomllib is 3.11+; the project also supports 3.10, where tomli is the same parser.
    try:
        module = importlib.import_module("tomllib")
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10 only
        module = importlib.import_module("tomli")
    loaded: dict[str, Any] = module.loads(text)
    return loaded


def parse_keymap(text: str, source: str) -> dict[str, str]:
    """Validate the ``[keymap]`` table: every value is a key string such as ``"ctrl+q"``."""
    try:
        data = _toml_loads(text)
    except ValueError as exc:
        raise KeymapError(f"{source}: not valid TOML: {exc}") from exc
    table = data.get("keymap", {})
    if not isinstance(table, dict):
        raise KeymapError(f'{source}: [keymap] must be a table of binding id = "keys"')
    keymap: dict[str, str] = {}
    for binding_id, keys in table.items():
        if not isinstance(keys, str) or not keys.strip():
            raise KeymapError(f"{source}: keymap.{binding_id} must be a non-empty key string")
        keymap[str(binding_id)] = keys.strip()
    return keymap


def load_keymap(path: Path | None) -> dict[str, str]:
    """The user's keymap; a missing default file is no keymap, a missing explicit one is an error."""
    explicit = path is not None
    target = path if path is not None else default_keymap_path()
    if not target.exists():
        if explicit:
            raise KeymapError(f"{target}: no such file")
        return {}
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeymapError(f"{target}: {exc.strerror}") from exc
    return parse_keymap(text, str(target))


def unknown_binding_ids(keymap: dict[str, str], known: set[str]) -> list[str]:
    """Ids the app has no binding for: most likely typos, worth telling the user."""
    return sorted(set(keymap) - known)
