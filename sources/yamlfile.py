"""Authoring files (rule packs, graph files) read as YAML, keeping where each part was written.

pydantic reports errors as paths into plain data (``rules.2.when.all.0.scor``)
and plain ``safe_load`` forgets positions and silently keeps the last of two
equal keys; an author needs ``FILE:LINE:COL``. So the file is parsed once, from
libyaml's event stream, into its data plus the position of every key and value
by path, and duplicate keys become problems.

Building from events rather than from a composed node tree keeps the builder
free of recursion and lets it stop a hostile file early, with a position:

- a file over ``MAX_BYTES``, or that is not a regular file (a FIFO would block
  the reader forever, a device never ends), is not read;
- nesting deeper than ``MAX_DEPTH`` is refused where it happens;
- a document whose nodes, counting each alias as the whole node it repeats,
  exceed ``MAX_NODES`` is refused at the alias or node that crosses the line.
  Aliases share data, so building stays cheap, but whatever walks the data
  afterwards (pydantic, the graph builder) meets every repetition: the
  "billion laughs" file is ten lines long and expands to 10^9 nodes.

Scalars mean what they mean in ``yaml.safe_load`` (PyYAML's resolver and safe
constructor) and merge keys (``<<``) behave as there; other tags are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from models.problems import NO_SUBJECT, Problem
from sources.regular_files import TooLarge, Unreadable, read_regular

if TYPE_CHECKING:
    import yaml

# The largest shipped file is 34 kB with about 2,100 nodes, the deepest nests 8 levels: the limits are
# far above any authoring file and low enough that a hostile one is refused in milliseconds.
MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

PathPart = str | int
YamlPath = tuple[PathPart, ...]


class Mark(NamedTuple):
    """A 1-based place in a file."""

    line: int
    col: int


_START = Mark(1, 1)
_TOO_LARGE = f"larger than {MAX_BYTES // (1024 * 1024)} MiB; an authoring file is far smaller"


@dataclass
class YamlFile:
    """One file's data, where each part of it was written, and what was wrong with it.

    ``data`` is None when the file could not be read or parsed (``problems``
    says why) and for an empty file. Positions are keyed by path: mapping keys
    as written, sequence indexes as ints. ``paths`` gives the path a problem is
    about when it is about one part (a duplicate key), so a loader can name the
    rule or node that part belongs to.
    """

    file: str
    data: Any = None
    problems: list[Problem] = field(default_factory=list)
    paths: dict[Problem, YamlPath] = field(default_factory=dict, repr=False)
    values: dict[YamlPath, Mark] = field(default_factory=dict, repr=False)
    keys: dict[YamlPath, Mark] = field(default_factory=dict, repr=False)

    def position(self, path: Sequence[PathPart], *, key: bool = False) -> Mark:
        """Where ``path`` was written; ``key=True`` points at its mapping key rather than its value.

        Parts that are not in the file (a missing field, pydantic's union member
        names, anything reached through an alias) are skipped, so the answer is
        the nearest enclosing place that was written.
        """
        at: YamlPath = ()
        for part in path:
            for step in ((*at, part), (*at, str(part))):
                if step in self.values:
                    at = step
                    break
        if key and at in self.keys:
            return self.keys[at]
        return self.values.get(at, _START)

    def problem(self, path: Sequence[PathPart], subject: str, message: str, *, key: bool = False) -> Problem:
        line, col = self.position(path, key=key)
        return Problem(self.file, line, col, subject, message)

    def validation_problems(
        self,
        exc: ValidationError,
        base: YamlPath = (),
        subject: Callable[[YamlPath], tuple[str, int]] = lambda _path: (NO_SUBJECT, 0),
    ) -> list[Problem]:
        """pydantic's errors on the data at ``base``, each a problem at its place in the file.

        ``subject`` names the rule or node a full path is in, and how many leading
        parts of the path are that subject's own place (the message leaves them out).
        """
        problems: list[Problem] = []
        for error in _meant(self.data, base, exc.errors()):
            loc = (*base, *error["loc"])
            who, skip = subject(loc)
            inner = _walk(self.data, loc).written[skip:]
            if error["type"] == "extra_forbidden":
                where = _dotted(inner[:-1])
                message = f"unknown field {inner[-1]!r}" + (f" in {where}" if where else "")
                problems.append(self.problem(loc, who, message, key=True))
            elif error["type"] == "missing":
                message = f"missing field {loc[-1]!r}" + (f" in {_dotted(inner)}" if inner else "")
                problems.append(self.problem(loc, who, message))
            else:
                text = str(error["msg"]).removeprefix("Value error, ")
                field = _dotted(inner)
                problems.append(self.problem(loc, who, f"{field}: {text}" if field else text))
        return problems


def read_yaml(path: Path | str) -> YamlFile:
    """Read and parse one file; every way it can fail is a problem, never an exception."""
    name = str(path)
    try:
        raw = read_regular(Path(path), MAX_BYTES)
        text = raw.decode("utf-8")
    except TooLarge:
        return YamlFile(name, problems=[Problem(name, 1, 1, NO_SUBJECT, _TOO_LARGE)])
    except Unreadable as exc:
        return YamlFile(name, problems=[Problem(name, 1, 1, NO_SUBJECT, f"cannot read: {exc.reason}")])
    except UnicodeDecodeError as exc:
        return YamlFile(
            name, problems=[Problem(name, 1, 1, NO_SUBJECT, f"cannot read: not UTF-8 ({exc.reason})")]
        )
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlFile:
    """As ``read_yaml`` for text already in memory (an editor's unsaved buffer)."""
    doc = YamlFile(name)
    if len(text) > MAX_BYTES:
        doc.problems.append(Problem(name, 1, 1, NO_SUBJECT, _TOO_LARGE))
        return doc
    import yaml  # here, not at the top: a rule book read from its compiled cache parses no YAML

    # libyaml's parser when PyYAML was built with it, the pure-Python one otherwise.
    loader: yaml.SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        _Builder(doc).run(loader.get_event)
    except _Stop as stop:
        doc.data = None
        doc.problems.append(Problem(name, stop.mark.line, stop.mark.col, NO_SUBJECT, stop.message))
    except yaml.MarkedYAMLError as exc:
        doc.data = None
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        doc.problems.append(Problem(name, line, col, NO_SUBJECT, f"YAML syntax: {what}"))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at a known offset
        doc.data = None
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        what = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else "byte"
        doc.problems.append(
            Problem(name, line, col, NO_SUBJECT, f"YAML syntax: unacceptable {what}: {exc.reason}")
        )
    except yaml.YAMLError as exc:
        doc.data = None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        doc.problems.append(Problem(name, 1, 1, NO_SUBJECT, f"YAML syntax: {first}"))
    finally:
        loader.dispose()
    return doc


class _Stop(Exception):
    """The builder refuses the document at ``mark``."""

    def __init__(self, mark: Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_MERGE = _TAG + "merge"
_COLLECTION_TAGS: frozenset[str | None] = frozenset({None, "!", _TAG + "seq", _TAG + "map"})
_SCALAR_TAGS = frozenset(_TAG + t for t in ("null", "bool", "int", "float", "binary", "timestamp"))


class _Unset:
    """A marker: no key yet in a mapping frame, or an anchor whose node is still being built."""


_NO_KEY = _Unset()
_PENDING = _Unset()


@dataclass
class _Frame:
    """A mapping or sequence being built."""

    data: dict[Any, Any] | list[Any]
    path: YamlPath
    mark: Mark
    anchor: str | None
    start_total: int
    recorded: bool  # positions are recorded (false inside a complex key or a merge)
    key: Any = _NO_KEY  # a mapping's key waiting for its value
    key_text: str = ""
    key_mark: Mark = _START
    seen: set[str] = field(default_factory=set)
    merges: list[tuple[Any, Mark]] = field(default_factory=list)
    merging: bool = False


class _Builder:
    """Events to data and positions, with a stack instead of recursion."""

    def __init__(self, doc: YamlFile) -> None:
        self.doc = doc
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int] | _Unset] = {}
        self.total = 0
        from yaml.constructor import ConstructorError, SafeConstructor
        from yaml.nodes import ScalarNode
        from yaml.resolver import Resolver

        self.constructor = SafeConstructor()
        # PyYAML's implicit resolvers by first character, as ``Resolver.resolve`` consults them.
        self.implicit: dict[str | None, list[tuple[str, Any]]] = Resolver.yaml_implicit_resolvers
        self.constructors: dict[str | None, Callable[[SafeConstructor, yaml.Node], Any]] = (
            SafeConstructor.yaml_constructors
        )
        self.scalar_node = ScalarNode
        self.constructor_error = ConstructorError

    def run(self, next_event: Callable[[], Any]) -> None:
        import yaml

        documents = 0
        while True:
            event = next_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self._scalar(event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._start(event, kind is yaml.MappingStartEvent)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._end()
            elif kind is yaml.AliasEvent:
                self._alias(event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Stop(_mark(event), "a file holds one YAML document; found a second")
            elif event is None or kind is yaml.StreamEndEvent:
                return

    def _count(self, mark: Mark, nodes: int) -> None:
        self.total += nodes
        if self.total > MAX_NODES:
            raise _Stop(mark, f"the document expands to more than {MAX_NODES} nodes (aliases count in full)")

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        mark = _mark(event)
        self.total += 1
        if self.total > MAX_NODES:
            self._count(mark, 0)
        value: Any = event.value
        tag = event.tag
        if tag is None or tag == "!":
            tag = _STR
            if event.implicit[0]:  # plain: PyYAML's implicit resolvers by first character
                for implicit_tag, regexp in self.implicit.get(value[:1], ()):
                    if regexp.match(value):
                        tag = implicit_tag
                        break
        if tag == _MERGE and self._expecting_key():
            frame = self.stack[-1]
            frame.merging, frame.key_mark = True, mark
            return
        if tag != _STR:
            if tag not in _SCALAR_TAGS:
                raise _Stop(mark, f"unsupported tag {tag}")
            try:
                node = self.scalar_node(tag, value, style=event.style)
                value = self.constructors[tag](self.constructor, node)
            except (self.constructor_error, ValueError) as exc:
                raise _Stop(
                    mark, f"cannot read {event.value[:40]!r} as {tag.removeprefix(_TAG)}: {exc}"
                ) from None
        if event.anchor is not None:
            self._claim(event.anchor, mark)
            self.anchors[event.anchor] = (value, 1)
        self._deliver(value, mark)

    def _alias(self, event: yaml.AliasEvent) -> None:
        mark = _mark(event)
        found = self.anchors.get(event.anchor or "")
        if found is None:
            raise _Stop(mark, f"unknown alias *{event.anchor}")
        if isinstance(found, _Unset):
            raise _Stop(mark, f"alias *{event.anchor} is inside the node it names")
        value, size = found
        self._count(mark, size)
        self._deliver(value, mark)

    def _start(self, event: yaml.CollectionStartEvent, mapping: bool) -> None:
        mark = _mark(event)
        if len(self.stack) >= MAX_DEPTH:
            raise _Stop(mark, f"nesting deeper than {MAX_DEPTH} levels")
        if event.tag not in _COLLECTION_TAGS:
            raise _Stop(mark, f"unsupported tag {event.tag}")
        self._count(mark, 1)
        path, recorded = self._child_path()
        if recorded:
            self.doc.values[path] = mark
            if self.stack and self.stack[-1].key is not _NO_KEY:
                self.doc.keys[path] = self.stack[-1].key_mark
        if event.anchor is not None:
            self._claim(event.anchor, mark)
        data: dict[Any, Any] | list[Any] = {} if mapping else []
        self.stack.append(_Frame(data, path, mark, event.anchor, self.total, recorded))

    def _end(self) -> None:
        frame = self.stack.pop()
        value: Any = frame.data
        if frame.merges:
            value = _merged(frame)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (value, self.total - frame.start_total + 1)
        self._deliver(value, frame.mark)

    def _expecting_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].data, dict) and self.stack[-1].key is _NO_KEY

    def _child_path(self) -> tuple[YamlPath, bool]:
        if not self.stack:
            return (), True
        parent = self.stack[-1]
        if isinstance(parent.data, list):
            return (*parent.path, len(parent.data)), parent.recorded
        if parent.key is _NO_KEY or parent.merging:  # a collection as a key, or what ``<<`` merges
            return parent.path, False
        return (*parent.path, parent.key_text), parent.recorded

    def _claim(self, anchor: str, mark: Mark) -> None:
        if anchor in self.anchors:
            raise _Stop(mark, f"anchor &{anchor} is defined twice")
        self.anchors[anchor] = _PENDING

    def _deliver(self, value: Any, mark: Mark) -> None:
        if not self.stack:
            self.doc.data = value
            self.doc.values[()] = mark
            return
        frame = self.stack[-1]
        data = frame.data
        if type(data) is list:
            if frame.recorded:
                self.doc.values[(*frame.path, len(data))] = mark
            data.append(value)
        elif frame.merging:
            frame.merges.append((value, frame.key_mark))
            frame.merging = False
        elif frame.key is _NO_KEY:
            self._take_key(frame, value, mark)
        else:
            if frame.recorded:
                path = (*frame.path, frame.key_text)
                self.doc.values[path] = mark
                self.doc.keys[path] = frame.key_mark
            data[frame.key] = value
            frame.key = _NO_KEY

    def _take_key(self, frame: _Frame, key: Any, mark: Mark) -> None:
        if isinstance(key, dict | list):
            raise _Stop(mark, "a mapping key must be a scalar, not a mapping or a sequence")
        text = str(key)
        if text in frame.seen:  # the data keeps the last value, as safe_load does
            problem = Problem(self.doc.file, mark.line, mark.col, NO_SUBJECT, f"duplicate key {text!r}")
            self.doc.problems.append(problem)
            self.doc.paths[problem] = (*frame.path, text)
        frame.seen.add(text)
        frame.key, frame.key_text, frame.key_mark = key, text, mark


def _mark(event: Any) -> Mark:
    start = event.start_mark
    # tuple.__new__ skips the named tuple's Python-level constructor: there is one mark per event
    return tuple.__new__(Mark, (start.line + 1, start.column + 1))


def _merged(frame: _Frame) -> dict[Any, Any]:
    """``<<`` as PyYAML reads it: explicit keys win, then earlier merges over later ones."""
    pairs: list[tuple[Any, Any]] = []
    for value, mark in frame.merges:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, dict) for s in sources):
            raise _Stop(mark, "a merge key (<<) takes a mapping or a list of mappings")
        for source in reversed(sources):
            pairs.extend(source.items())
    merged = dict(pairs)
    merged.update(frame.data)
    return merged


@dataclass(frozen=True)
class _Walk:
    """A pydantic error path against the data: the parts written in the file, and where it left them.

    Parts that are not in the data are pydantic's names for a union's members
    (``str``, ``function-after[_some(), NumTest]``) or a missing field.
    """

    written: YamlPath
    left_at: int  # index in the path of the first part not in the data (its length if none)
    value: Any  # the value at that point


def _walk(data: Any, loc: Sequence[Any]) -> _Walk:
    node, written, left_at, value = data, [], None, data
    for index, part in enumerate(loc):
        if isinstance(node, dict):
            inside = part in node
        else:
            inside = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if inside:
            node = node[part]
            written.append(part)
        elif left_at is None:
            left_at, value = index, node
    return _Walk(tuple(written), len(loc) if left_at is None else left_at, node if left_at is None else value)


def _meant(data: Any, base: YamlPath, errors: Sequence[Any]) -> list[Any]:
    """One union's errors narrowed to the member the author evidently meant.

    pydantic explains once per member why a value fits none of ``NumTest | str |
    bool``; a mapping was meant as a numeric test, text as text, a flag as a
    flag. A value of no member's kind keeps the mapping member's error, the
    likeliest intent.
    """
    unions: dict[YamlPath, list[tuple[str, Any]]] = {}
    kinds: dict[YamlPath, str] = {}
    out: list[Any] = []
    for error in errors:
        path = (*base, *error["loc"])
        walk = _walk(data, path)
        if walk.left_at == len(path) or error["type"] == "missing":
            out.append(error)
            continue
        at = path[: walk.left_at]
        member = {"str": "text", "bool": "flag"}.get(str(path[walk.left_at]), "mapping")
        unions.setdefault(at, []).append((member, error))
        kinds[at] = _kind(walk.value)
    for at, members in unions.items():
        meant = [e for kind, e in members if kind == kinds[at]]
        out.extend(meant or [e for kind, e in members if kind == "mapping"] or [members[0][1]])
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, str):
        return "text"
    return "mapping" if isinstance(value, dict) else "other"


def _dotted(path: Sequence[PathPart]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
