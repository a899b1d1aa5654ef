"""Where the history lives, answered without loading SQLAlchemy.

Every diagnosis asks whether a history exists to compare it with; a batch of
a thousand incidents and no history must not pay half a second for a database
library to say "no".
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from sleuth._settings import user_data_dir

DEFAULT_FILE = "history.sqlite"


def default_path() -> Path:
    return user_data_dir() / DEFAULT_FILE


def default_url() -> str:
    return f"sqlite:///{default_path()}"


def exists(url: str) -> bool:
    """Whether there is a history to read: a SQLite file that is there, or any server URL."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("sqlite"):
        return True
    database = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    return database not in ("", ":memory:") and Path(database).is_file()
