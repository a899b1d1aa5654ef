"""Connection strings: parsed once, and never shown with their password.

A DSN is the one place a secret enters sleuth, so it is parsed into a value
whose ``str`` is already redacted; every message, incident and trace built
from it is then safe to print without each caller remembering to scrub it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

EngineFamily = Literal["postgres", "mysql"]

_SCHEMES: dict[str, EngineFamily] = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}
_DEFAULT_PORTS: dict[EngineFamily, int] = {"postgres": 5432, "mysql": 3306}
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
REDACTED = "***"


class DsnError(ValueError):
    """A DSN sleuth cannot use; the message never contains the password."""


@dataclass(frozen=True)
class Dsn:
    """A parsed DSN; ``str()`` and ``repr()`` hide the password."""

    family: EngineFamily
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str
    scheme: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def endpoint(self) -> str:
        """Host and port, what an incident may record about where it came from."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def is_local(self) -> bool:
        """Host figures from /proc describe the database only when it runs on this machine."""
        return self.host in _LOOPBACK or self.host.startswith("/")

    def __str__(self) -> str:
        auth = f"{self.user}:{REDACTED}@" if self.password else f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{auth}{self.endpoint}/{self.database}"

    def redact(self, text: str) -> str:
        """Scrub this DSN's password (and any URL-embedded password) from text a driver produced."""
        return redact_text(text, self.password)


def parse_dsn(text: str) -> Dsn:
    """Parse ``postgresql://user:pw@host:port/db`` or ``mysql://user:pw@host:port/db`` (``mariadb://`` too)."""
    try:
        parts = urlsplit(text.strip())
        port_value = parts.port
    except ValueError as exc:
        raise DsnError(f"cannot parse DSN {redact_text(text)!r}: {exc}") from None
    family = _SCHEMES.get(parts.scheme.lower())
    if family is None:
        known = ", ".join(f"{s}://" for s in _SCHEMES)
        raise DsnError(f"DSN {redact_text(text)!r} must start with one of {known}")
    host = unquote(parts.hostname or "")
    if not host:
        raise DsnError(f"DSN {redact_text(text)!r} names no host")
    options = tuple(parse_qsl(parts.query))
    return Dsn(
        family=family,
        host=host,
        port=port_value or _DEFAULT_PORTS[family],
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.lstrip("/")),
        scheme=parts.scheme.lower(),
        options=options,
    )


_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)", re.IGNORECASE
)
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.IGNORECASE)


def redact_text(text: str, *secrets: str) -> str:
    """Hide passwords in URLs, ``password=`` pairs and any of the given secrets."""
    out = _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}{m['tail']}", text)
    out = _KV_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}", out)
    for secret in secrets:
        if secret:
            out = out.replace(secret, REDACTED)
    return out
