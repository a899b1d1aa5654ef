"""Incident files, sleuth's own format: the one place where an incident crosses the disk."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from models import Incident
from models.incident import diagnosis_problem, validate_json_file
from sources.errors import IncidentError, describe_validation
from sources.output_files import write_text
from sources.regular_files import TooLarge, Unreadable, read_regular

# Incident files are JSON held in memory; a cap keeps a stray 200 MB dump from exhausting it.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# The deepest incident nests 6 levels; Python's JSON reader recurses once per level and fails near 1,000.
MAX_DEPTH = 64
# Beyond this many digits Python refuses to turn text into an int; such a number is read as a float
# (infinite), which validation then names, instead of a ValueError from inside the JSON reader.
_MAX_INT_DIGITS = 1000

_TOKEN = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)
# A JSON string, unrolled so that it runs in linear time on text the JSON reader has accepted.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _too_large(path: Path, size: int, limit: int) -> IncidentError:
    return IncidentError(
        path,
        f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:.0f} MB limit "
        "(raise it with SLEUTH_MAX_FILE_MB)",
    )


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, or an ``IncidentError`` saying in one line why they cannot be used."""
    try:
        data = read_regular(path, max_bytes)
    except TooLarge as exc:
        raise _too_large(path, exc.size, max_bytes) from None
    except Unreadable as exc:
        raise IncidentError(path, exc.reason) from None
    if not data.strip():
        raise IncidentError(path, "empty file")
    return data


def _deep_place(raw: bytes, limit: int) -> str:
    """``line L column C`` where brackets first nest deeper than ``limit`` (strings skipped)."""
    depth, in_string = 0, False
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token == b'"':
            in_string = not in_string
        elif not in_string and token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                offset = match.start()
                line = raw.count(b"\n", 0, offset) + 1
                column = offset - raw.rfind(b"\n", 0, offset)
                return f"line {line} column {column}"
        elif not in_string and token in (b"]", b"}"):
            depth -= 1
    return "(top level)"


def nests_deeper(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects of valid JSON ``raw`` nest deeper than ``limit``.

    Strings are blanked and only brackets kept; each round strips the innermost
    ``[]`` and ``{}`` pairs, so whatever is left after ``limit`` rounds nests
    deeper. Every step runs in C: a 10 MB export is checked in milliseconds.
    """
    skeleton = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not skeleton:
            return False
        skeleton = skeleton.replace(b"[]", b"").replace(b"{}", b"")
    return bool(skeleton)


def nesting_problem(data: object, limit: int = MAX_DEPTH) -> str | None:
    """The dotted path of the first array or object nested deeper than ``limit``, else None.

    Walked with a stack, not recursion, so the check itself cannot overflow.
    """
    stack: list[tuple[object, tuple[str, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            children: Iterable[tuple[str, object]] = ((str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            children = ((str(i), v) for i, v in enumerate(node))
        else:
            continue
        if len(path) >= limit:
            shown = ".".join(path[:6]) + (".…" if len(path) > 6 else "")
            return shown or "(top level)"
        stack.extend((v, (*path, k)) for k, v in children if isinstance(v, dict | list))
    return None


def _parse_int(text: str) -> int | float:
    return int(text) if len(text) <= _MAX_INT_DIGITS else float(text)


def decode_utf8(path: Path, raw: bytes) -> str:
    """The text of a file that must be UTF-8; the first bad byte is named by line and offset."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise IncidentError(
            path, f"line {line}: not UTF-8 text (byte 0x{bad} at offset {exc.start})"
        ) from None


def read_json(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> object:
    """Parse JSON with a message naming the line and column, never a traceback."""
    p = Path(path)
    raw = read_text(p, max_bytes)
    text = decode_utf8(p, raw)
    try:
        data = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise IncidentError(p, f"line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        place = _deep_place(raw, MAX_DEPTH)
        raise IncidentError(p, f"{place}: arrays and objects nest deeper than {MAX_DEPTH} levels") from None
    deep = nesting_problem(data) if nests_deeper(raw) else None
    if deep is not None:
        raise IncidentError(p, f"{deep}: arrays and objects nest deeper than {MAX_DEPTH} levels")
    return data


def load_incident(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Incident:
    """A validated incident a diagnosis can use; every problem is an ``IncidentError`` naming the
    file and the field.

    A well-formed file is parsed and validated in one pass by pydantic's JSON
    reader (several times faster than ``json`` then validation); only a file
    that fails takes the slower path that words the error as people expect.
    """
    p = Path(path)
    raw = read_text(p, max_bytes)
    try:
        incident = validate_json_file(raw)
    except ValueError:  # a ValidationError, a series' check, or bytes that are not UTF-8
        incident = _slow_load(p, max_bytes)
    problem = diagnosis_problem(incident)
    if problem is not None:
        raise IncidentError(p, problem)
    return incident


def _slow_load(path: Path, max_bytes: int) -> Incident:
    """The file again, through Python's JSON reader and validation, for their wording of what is wrong."""
    data = read_json(path, max_bytes)
    if not isinstance(data, dict):
        raise IncidentError(path, f"(top level): expected a JSON object, got {type(data).__name__}")
    try:
        return Incident.model_validate(data)
    except ValidationError as exc:
        raise IncidentError(path, describe_validation(exc)) from None


def dump_incident(incident: Incident) -> str:
    """The incident as its file holds it; series sampled together are written with one shared clock.

    A capture samples every metric at the same instants, and writing those
    timestamps once instead of once per series halves the file and the time
    to read it back (parsing numbers is most of the cost of loading).
    """
    data = incident.model_dump(mode="json", exclude_none=True)
    series: list[dict[str, object]] = data.get("metrics") or []
    clock = data.get("timestamps")
    if clock is None and len(series) > 1 and all(m["timestamps"] == series[0]["timestamps"] for m in series):
        clock = series[0]["timestamps"]
    if clock is not None:
        for m in series:
            if m["timestamps"] == clock:
                del m["timestamps"]
        data = {k: v for k, v in data.items() if k != "timestamps"}
        at = list(data).index("metrics")
        items = list(data.items())
        data = dict([*items[:at], ("timestamps", clock), *items[at:]])
    return _json(data, "")


def _json(value: object, pad: str) -> str:
    """Indented JSON whose lists of numbers (and other scalars) stay on one line each.

    One number per line made a capture tens of thousands of lines long; a
    series on one line is easier to read and diff, and quicker to parse.
    """
    inner = pad + " "
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(k, ensure_ascii=False)}: {_json(v, inner)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        return "[\n" + ",\n".join(f"{inner}{_json(v, inner)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def write_incident(incident: Incident, path: str | Path, *, force: bool = False) -> Path:
    """Write atomically, creating missing folders; an existing file is replaced only with ``force``.

    ``sources.output_files.write_text`` says what is refused (anything that is
    not a regular file, whatever ``force`` says).
    """
    return write_text(Path(path), dump_incident(incident) + "\n", force=force, parents=True)


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given, directories as their ``*.json`` entries (recursively, sorted).

    Every ``*.json`` entry that is not a directory is listed, a FIFO or a
    dangling symbolic link too, so that reading it says why it cannot be used
    instead of the batch silently leaving it out.
    """
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.json") if not q.is_dir())
        else:
            yield p
