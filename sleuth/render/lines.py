"""The one intermediate form every renderer reads: indented lines of styled spans.

What a diagnosis says (its wording, its numbers, its order) is decided once,
as ``Line`` values; the plain-text, Markdown and Rich renderers only decide
how a style looks. So the command line, the report and the UI cannot drift
apart: they print the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Style = Literal["", "name", "strong", "dim", "ok", "fail", "risk_low", "risk_medium", "risk_high", "sql"]
"""``name``: an identifier (rule, cause, metric); ``sql``: statement text, shown verbatim, never run."""


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""


@dataclass(frozen=True)
class Line:
    """One line of output; ``depth`` nests it under the line before (SQL under its remediation).

    ``number`` makes it an item of a numbered list (remediations, in the order to try them).
    """

    spans: tuple[Span, ...]
    depth: int = 0
    number: int | None = None

    @property
    def plain(self) -> str:
        """The words without the list number."""
        return "".join(s.text for s in self.spans)

    @property
    def marker(self) -> str:
        return f"{self.number}. " if self.number is not None else ""

    def deeper(self, levels: int) -> Line:
        return Line(self.spans, self.depth + levels, self.number)


def line(*parts: str | Span, depth: int = 0) -> Line:
    """A line from plain strings and styled spans; empty strings are dropped."""
    spans = tuple(p if isinstance(p, Span) else Span(p) for p in parts)
    return Line(tuple(s for s in spans if s.text), depth)


def name(text: str) -> Span:
    return Span(text, "name")


def strong(text: str) -> Span:
    return Span(text, "strong")


def nest(lines: Iterable[Line], levels: int) -> list[Line]:
    return [ln.deeper(levels) for ln in lines]


INDENT = "  "


def to_text(lines: Sequence[Line], indent: str = INDENT) -> str:
    """Plain text: each line indented by its depth; styles dropped."""
    return "\n".join(indent * ln.depth + ln.marker + ln.plain for ln in lines)
