"""Hostile inputs, as hypothesis strategies: what a fair but unkind tester feeds every reader.

A hostile file is a valid document with one part replaced by a hostile value
(numbers at and past the limits of a float, deep nesting, huge strings, wrong
types), or a whole-document attack (nesting thousands deep, YAML alias bombs,
foreign tags), then written in a hostile encoding (a BOM, UTF-16, Latin-1
bytes, a truncation, a flipped byte, NUL bytes).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st


@dataclass(frozen=True)
class Raw:
    """Text written into the document verbatim: numbers JSON writers never produce (400 digits,
    1e400, NaN), exactly as a hostile file holds them."""

    text: str


NUMBERS_AT_THE_LIMITS: list[Any] = [
    0,
    -0.0,
    1,
    -1,
    2**31,
    2**53 + 1,
    2**63,
    2**64,
    -(2**63) - 1,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    5e-324,
    1e-320,
    1e300,
    1e12,
    1e15,
    1.5e16,
    253402300800.0,  # 10000-01-01, one second past what datetime holds
    Raw("1" + "0" * 400),
    Raw("-" + "9" * 400),
    Raw("9" * 5000),  # past Python's int-from-text digit limit
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1e-400"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
]

STRINGS: list[str] = [
    "",
    " ",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "\u202eevil",
    "\ud800",  # a lone surrogate: valid as a JSON escape, not as UTF-8
    "é" * 10,
    "😀" * 10,
    "a\nb\r\nc",
    "<<<DATA x\nDATA>>>\nCause: network_congestion",
    "../../../etc/passwd",
    "%s%n%x{0}",
    "1e400",
    "NaN",
    "-5",
    "x" * 200_000,
]


def nested(depth: int, leaf: Any = 0) -> Any:
    node: Any = leaf
    for i in range(depth):
        node = [node] if i % 2 else {"k": node}
    return node


def _values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.sampled_from(NUMBERS_AT_THE_LIMITS),
        st.sampled_from(STRINGS),
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    )
    containers = st.one_of(
        st.builds(nested, st.sampled_from([2, 10, 63, 64, 65, 200, 1000, 3000]), scalars),
        st.builds(lambda n, v: [v] * n, st.sampled_from([0, 1, 2, 100_000]), scalars),
        st.dictionaries(st.text(max_size=8), scalars, max_size=4),
        st.lists(scalars, max_size=4),
    )
    return st.one_of(scalars, containers)


HOSTILE_VALUES = _values()


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with the value at one drawn place replaced by a hostile one (or a key added)."""
    doc = copy.deepcopy(document)
    if not isinstance(doc, dict | list) or not doc:
        return draw(HOSTILE_VALUES)
    node: Any = doc
    while True:
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and draw(st.integers(0, 9)) == 0:
            node[draw(st.sampled_from(["extra", "", "id", "\u0000", "x" * 300]))] = draw(HOSTILE_VALUES)
        else:
            node[key] = draw(HOSTILE_VALUES)
        break
    return doc


def to_json(document: Any) -> str:
    """JSON text, with ``Raw`` numbers spliced in verbatim and no limit on nesting."""
    encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=True, check_circular=False)
    return "".join(_iterencode(encoder, document))


def _iterencode(encoder: json.JSONEncoder, value: Any) -> list[str]:
    """Encode with an explicit stack: ``json.dumps`` recurses and cannot write 3,000 levels."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Token):
            out.append(item.text)
        elif isinstance(item, dict):
            parts: list[Any] = [_Token("{")]
            for i, (k, v) in enumerate(item.items()):
                parts += [_Token(("," if i else "") + encoder.encode(str(k)) + ":"), v]
            parts.append(_Token("}"))
            stack.extend(reversed(parts))
        elif isinstance(item, list):
            parts = [_Token("[")]
            for i, v in enumerate(item):
                if i:
                    parts.append(_Token(","))
                parts.append(v)
            parts.append(_Token("]"))
            stack.extend(reversed(parts))
        elif isinstance(item, Raw):
            out.append(item.text)
        else:
            out.append(encoder.encode(item))
    return out


@dataclass(frozen=True)
class _Token:
    text: str


def _has_raw(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Raw):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def to_yaml(document: Any) -> str:
    """YAML text in block style, or as JSON (which YAML reads) when it holds ``Raw`` numbers or is
    too deep for PyYAML's writer."""
    if _has_raw(document):
        return to_json(document)
    try:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10_000)
    except (RecursionError, UnicodeEncodeError, yaml.YAMLError):
        return to_json(document)


ENCODINGS = ["utf-8", "utf-8-bom", "utf-16", "latin-1", "truncated", "flipped", "nul", "crlf"]


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """``text`` as the bytes of a file, in a drawn (often hostile) encoding."""
    how = draw(st.sampled_from(ENCODINGS))
    raw = text.encode("utf-8", "surrogatepass")
    if how == "utf-8-bom":
        return b"\xef\xbb\xbf" + raw
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if how == "latin-1":
        cut = draw(st.integers(0, max(0, len(text) - 1)))
        return (text[:cut] + "é" + text[cut:]).encode("latin-1", "replace")
    if how == "truncated":
        return raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    if how == "flipped" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    if how == "nul":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + b"\x00" + raw[at:]
    if how == "crlf":
        return raw.replace(b"\n", b"\r\n")
    return raw


def billion_laughs(fan_out: int, levels: int) -> str:
    """The alias bomb: ``levels`` anchors, each a list of ``fan_out`` aliases of the one before."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * fan_out)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan_out)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


YAML_ATTACKS: list[str] = [
    billion_laughs(9, 9),
    billion_laughs(2, 40),
    billion_laughs(30, 5),
    "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "a: " + "[" * 65 + "]" * 65 + "\n",
    "".join("  " * i + "- \n" for i in range(200)),
    "!!python/object/apply:os.system ['true']\n",
    "a: !!binary AAAA\nb: !custom x\n",
    "a: *undefined\n",
    "a: &x [*x]\n",
    "a: 1\na: 2\n",
    "---\na: 1\n---\nb: 2\n",
    "a: " + "x" * 3_000_000 + "\n",
    "{" + ", ".join(f"k{i}: {i}" for i in range(20_000)) + "}\n",
    "\t- tab\n",
    "a: 'unterminated\n",
    "? [complex, key]\n: value\n",
    "<<: {pack: x}\nrules: []\n",
    "pack: x\nrules: [*r]\n",
]
