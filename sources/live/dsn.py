"""Connection strings: parsed once, and never shown with their password.

A DSN is the one place a secret enters sleuth, so it is parsed into a value
whose ``str`` is already redacted; every message, incident and trace built
from it is then safe to print without each caller remembering to scrub it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, unquote

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


# A host name, an IPv4 address or a percent-encoded socket directory; an IPv6 address is in brackets.
_HOST = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=-]+|\[[0-9A-Za-z:.%]+\]")
ENCODING_HINT = (
    "percent-encode these characters in the user name and password: "
    "@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25"
)


def parse_dsn(text: str) -> Dsn:
    """Parse ``postgresql://user:pw@host:port/db`` or ``mysql://user:pw@host:port/db`` (``mariadb://`` too).

    The credentials end at the last ``@``, so a password with an unencoded ``#``,
    ``/``, ``?`` or ``@`` still parses (a generic URL parser would cut it at the
    first of them and read the rest as a port or a path). No message ever quotes
    the credentials: a DSN is shown as ``scheme://user:***@host:port``, and a
    host or port is shown only once it has been read as one.
    """
    raw = text.strip()
    scheme, sep, rest = raw.partition("://")
    scheme = scheme.lower()
    known = ", ".join(f"{s}://" for s in _SCHEMES)
    if not sep:
        raise DsnError(f"a DSN starts with one of {known} (e.g. postgresql://USER:PASSWORD@HOST:5432/DB)")
    userinfo, at, hostpart = rest.rpartition("@")
    if not at:
        userinfo, hostpart = "", rest
    user_text, colon, password_text = userinfo.partition(":")
    user = unquote(user_text)
    password = unquote(password_text) if colon else ""
    auth = f"{user}:{REDACTED}@" if colon else f"{user}@" if at else ""
    authority, tail = _split_authority(hostpart)
    host_text, port_text = _host_and_port(authority)
    # with no "@" a ":" in the host part is most likely a password cut short by one of these characters
    hint = f"; {ENCODING_HINT}" if not at and ":" in authority else ""
    if host_text and not _HOST.fullmatch(host_text):
        raise DsnError(f"cannot parse DSN {scheme}://{auth}…: the host is not a name or an address{hint}")
    shown = f"{scheme}://{auth}{host_text}"
    family = _SCHEMES.get(scheme)
    if family is None:
        raise DsnError(
            f"DSN {shown + (':' + port_text if port_text.isdigit() else '') + _tail_shown(tail)!r} "
            f"must start with one of {known}"
        )
    host = unquote(host_text.strip("[]")) if host_text.startswith("[") else unquote(host_text).lower()
    if not host:
        raise DsnError(f"DSN {shown!r} names no host")
    port = _DEFAULT_PORTS[family]
    if port_text or authority.endswith(":"):
        if not (port_text.isdigit() and 0 < int(port_text) < 65536):
            raise DsnError(f"cannot parse DSN {shown!r}: the port is not a number from 1 to 65535{hint}")
        port = int(port_text)
    path, _, query = tail.partition("?")
    query = query.partition("#")[0]
    return Dsn(
        family=family,
        host=host,
        port=port,
        user=user,
        password=password,
        database=unquote(path.partition("#")[0].lstrip("/")),
        scheme=scheme,
        options=tuple(parse_qsl(query)),
    )


def _split_authority(hostpart: str) -> tuple[str, str]:
    """``host:port`` and what follows it (``/db?options``)."""
    for index, char in enumerate(hostpart):
        if char in "/?#":
            return hostpart[:index], hostpart[index:]
    return hostpart, ""


def _host_and_port(authority: str) -> tuple[str, str]:
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            return authority, ""
        host, rest = authority[: close + 1], authority[close + 1 :]
        return host, rest[1:] if rest.startswith(":") else rest
    host, _, port = authority.partition(":")
    return host, port


def _tail_shown(tail: str) -> str:
    """The database part of a DSN, for a message (options left out: they may hold secrets too)."""
    return tail.partition("?")[0].partition("#")[0]


_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>\S*)(?P<tail>@)", re.IGNORECASE)
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.IGNORECASE)


def redact_text(text: str, *secrets: str) -> str:
    """Hide passwords in URLs, ``password=`` pairs and any of the given secrets."""
    out = _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}{m['tail']}", text)
    out = _KV_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}", out)
    for secret in secrets:
        if secret:
            out = out.replace(secret, REDACTED)
    return out
