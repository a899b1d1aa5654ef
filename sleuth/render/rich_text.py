"""The UI's Rich ``Text`` pieces, drawn from the same lines as the plain text and the Markdown.

Rich is a declared dependency of sleuth (the command line draws its progress
bars with it) and imports nothing of Textual, so the adapter lives beside the
other renderers: a test can then hold the UI's words to the terminal's
(``to_rich(lines).plain == to_text(lines)``) without starting the app.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from models import CauseFinding, WhyNot
from sleuth.render import parts
from sleuth.render.lines import INDENT, Line, Style

STYLES: dict[Style, str] = {
    "": "",
    "name": "bold",
    "strong": "bold",
    "dim": "dim",
    "ok": "green",
    "fail": "bold red",
    "risk_low": "green",
    "risk_medium": "yellow",
    "risk_high": "red",
    "sql": "italic",
}


def to_rich(lines: Sequence[Line], indent: str = INDENT) -> Text:
    text = Text()
    for i, ln in enumerate(lines):
        if i:
            text.append("\n")
        text.append(indent * ln.depth + ln.marker)
        for span in ln.spans:
            text.append(span.text, style=STYLES[span.style])
    return text


def how(cause: CauseFinding) -> Text:
    return to_rich(parts.how_lines(cause))


def remediation(cause: CauseFinding) -> Text:
    return to_rich(parts.remediation_lines(cause))


def why_not(why: WhyNot, units: parts.Units = parts.NO_UNITS) -> Text:
    return to_rich(parts.why_not_lines(why, units))
