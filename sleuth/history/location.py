"""Where the history lives, answered without loading SQLAlchemy.

Every diagnosis asks whether a history exists to compare it with; a batch of
a thousand incidents and no history must not pay half a second for a database
library to say "no", nor parse the same URL a thousand times to stat one file.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sleuth._settings import user_data_dir

DEFAULT_FILE = "history.sqlite"


def default_path() -> Path:
    return user_data_dir() / DEFAULT_FILE


def default_url() -> str:
    return f"sqlite:///{default_path()}"


@functools.lru_cache(maxsize=16)
def _sqlite_file(url: str) -> Path | bool:
    """The SQLite file ``url`` names; ``True`` for a server (always there to ask), ``False`` for none."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("sqlite"):
        return True
    database = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    return False if database in ("", ":memory:") else Path(database)


def exists(url: str) -> bool:
    """Whether there is a history to read: a SQLite file that is there, or any server URL.

    Asked of the disk every time, so a history created while the process runs is found.
    """
    found = _sqlite_file(url)
    return found if isinstance(found, bool) else found.is_file()
