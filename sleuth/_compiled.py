"""The knowledge graph and rule packs as loaded, kept on disk so the next process does not parse them.

Parsing the YAML, validating it and linting the packs takes longer than
diagnosing several incidents; unpickling what that produced takes a fraction.
An entry is named by a digest of everything that decides its content: the
bytes of the graph and rule files, and the code that reads them (each source
file's path, size and modification time, and the versions of Python, pydantic
and sleuth), so an edited file or an upgraded package is a new entry, never a
stale one. Only loads without problems are kept: errors are reported from the
files themselves. A cache that cannot be read or written is no error, just a
slower start: entries are written to a temporary file and renamed, so a reader
never sees half of one, and one that does not unpickle is loaded again and
replaced.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph
    from rules import RuleBook

T = TypeVar("T")

# The files each graph loaded here came from: a rule book linted against it is cached under them too.
_graph_files: weakref.WeakKeyDictionary[KnowledgeGraph, tuple[Path, ...]] = weakref.WeakKeyDictionary()

# Entries kept per kind: enough for a few configurations or checkouts; each edit of the code or the
# files makes a new one, and the oldest are removed when one is written.
KEEP = 8

# The packages whose code turns graph and rule files into what is cached (and this module).
_CODE = ("models", "knowledge_graph", "rules", "sources")
_ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def _code_digest() -> bytes:
    import numpy
    import pydantic

    h = hashlib.sha256(f"{sys.version}|{pydantic.VERSION}|{numpy.__version__}|{_version()}".encode())
    for path in [str(Path(__file__).resolve()), *(p for c in _CODE for p in _sources(_ROOT / c))]:
        stat = os.stat(path)
        h.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return h.digest()


def _sources(package: Path) -> list[str]:
    """The package's Python files, sorted; ``os.walk`` rather than ``Path.rglob``, which takes a
    few times as long, and every start asks."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = [d for d in subfolders if d != "__pycache__"]
        found.extend(os.path.join(folder, f) for f in files if f.endswith(".py"))
    return sorted(found)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sleuth")
    except PackageNotFoundError:
        return "unknown"


def _digest(kind: str, files: Iterable[Path]) -> str | None:
    """The entry's name, or None when a file cannot be read as an authoring file (a FIFO, a
    device, one too large): loading it then reports why, and nothing is cached."""
    from sources.regular_files import Unreadable, read_regular
    from sources.yamlfile import MAX_BYTES

    h = hashlib.sha256(_code_digest() + kind.encode())
    try:
        for file in files:
            data = read_regular(file, MAX_BYTES)
            h.update(f"\n{file.resolve()}|{len(data)}\n".encode())
            h.update(data)
    except (OSError, Unreadable):
        return None
    return f"{kind}-{h.hexdigest()[:32]}.pickle"


def _cached(folder: Path, name: str | None, load: Callable[[], T], valid: Callable[[Any], bool]) -> T:
    """The entry ``name`` in ``folder`` if it unpickles to something ``valid``, else ``load()``,
    written for next time."""
    if name is None:
        return load()
    path = folder / name
    with contextlib.suppress(Exception):  # unreadable, truncated or from other code: load again
        with path.open("rb") as fh:
            found = pickle.load(fh)
        if valid(found):
            return cast(T, found)
    value = load()
    _write(path, value)
    return value


def _write(path: Path, value: Any) -> None:
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
        _prune(path)
    except (OSError, pickle.PicklingError):
        pass  # a read-only or full disk only costs the next start its parsing
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(written: Path) -> None:
    kind = written.name.split("-", 1)[0]
    entries = sorted(
        written.parent.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True
    )
    for old in entries[KEEP:]:
        if old != written:
            old.unlink(missing_ok=True)


def load_graph(paths: Sequence[Path], folder: Path) -> KnowledgeGraph:
    """The graph of ``paths`` (the shipped one when empty), kept in ``folder``; ``GraphLoadError`` as
    ``load_graph`` raises."""
    from knowledge_graph import KnowledgeGraph, graph_files, load_default_graph
    from knowledge_graph import load_graph as parse

    files = graph_files(paths or None)
    graph: KnowledgeGraph = _cached(
        folder,
        _digest("graph", files),
        (lambda: parse(paths)) if paths else load_default_graph,
        lambda found: isinstance(found, KnowledgeGraph),
    )
    _graph_files[graph] = tuple(files)
    return graph


def load_rulebook(sources: Sequence[Path], graph: KnowledgeGraph, folder: Path) -> RuleBook:
    """The rule book of ``sources`` checked against ``graph``, kept in ``folder``; ``RuleLoadError`` as
    ``load_rulebook``.

    Cached only with a graph that came from files (``load_graph`` here), since the
    lint's findings depend on the graph too.
    """
    from rules import RuleBook
    from rules import load_rulebook as parse
    from rules.book import rule_files
    from rules.loader import LoadedPack

    graph_files = _graph_files.get(graph)
    name = None
    if graph_files is not None and all(p.exists() for p in sources):
        name = _digest("rules", [*graph_files, *rule_files(sources)])
    packs: tuple[LoadedPack, ...] = _cached(
        folder,
        name,
        lambda: parse(sources, graph=graph).packs,
        lambda found: isinstance(found, tuple) and all(isinstance(p, LoadedPack) for p in found),
    )
    return RuleBook(packs, sources)
