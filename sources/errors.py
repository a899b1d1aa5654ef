"""One error type for every bad input, so a batch can report it in one line and go on."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class IncidentError(Exception):
    """A file that cannot become an incident; ``str()`` is the one line a user sees."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


class OutputError(OSError):
    """A file sleuth was asked to write and will not or cannot; ``str()`` is the one line a user sees.

    An ``OSError``, so that whoever handles a failed write handles this one too.
    """

    def __init__(self, path: str | Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)`` on one line and at most about ``limit`` characters, for quoting input in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_validation(exc: ValidationError) -> str:
    """``field.path: what is wrong`` for the first error, with a count of the others."""
    errors = exc.errors(include_url=False)
    if not errors:
        return "invalid"
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = str(first["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if first["type"] == "literal_error" and "input" in first:
        msg = f"{msg} (got {shorten(first['input'])})"
    more = len(errors) - 1
    suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    return f"{loc}: {msg}{suffix}"
