"""YAML reading that keeps line numbers, so every later message can point at ``FILE:LINE``.

PyYAML's composed node tree carries marks; plain ``safe_load`` throws them away
and silently keeps the last of two duplicate keys, which in an authoring file
hides a second definition of the same cause. We compose once, record the line
of every mapping key by its path, flag duplicate keys, then construct the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from knowledge_graph._problems import Problem

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

PathKey = tuple[str | int, ...]
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class YamlDocument:
    """The data of one authoring file plus where each part of it was written."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, path: PathKey) -> int:
        """Line of ``path`` or of its nearest located ancestor (pydantic locations can be deeper)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_yaml(path: Path) -> YamlDocument:
    """Read one file; syntax errors become problems rather than exceptions."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return YamlDocument(name, None, problems=[Problem(name, 0, f"cannot read: {exc}")])
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlDocument:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        return YamlDocument(name, None, problems=[Problem(name, line, f"YAML syntax: {exc.problem}")])
    except yaml.YAMLError as exc:
        return YamlDocument(name, None, problems=[Problem(name, 0, f"YAML error: {exc}")])
    if node is None:
        return YamlDocument(name, {}, {(): 1})
    doc = YamlDocument(name, None, {(): node.start_mark.line + 1})
    merges: list[yaml.Node] = []
    try:
        data = _walk(node, (), doc, SafeConstructor(), merges)
        # a merge key (``<<``) has rules of its own: let PyYAML build such a document
        doc.data = SafeConstructor().construct_document(node) if merges else data
    except (yaml.YAMLError, TypeError) as exc:  # TypeError: an unhashable (mapping) key
        doc.problems.append(Problem(name, 0, f"YAML error: {exc}"))
    return doc


def _walk(
    node: yaml.Node, path: PathKey, doc: YamlDocument, constructor: SafeConstructor, merges: list[yaml.Node]
) -> Any:
    """Record lines and duplicate keys while building the data in the same pass.

    Strings (nearly every scalar here) are taken as they are; other scalars go
    through PyYAML's safe constructor, so ``1.5``, ``true`` and ``null`` mean
    what they mean in ``yaml.safe_load``. Merge keys (``<<``) are noted in
    ``merges`` for the caller; keys written in the mapping keep their own lines.
    """
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        seen: set[str] = set()
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                doc.problems.append(Problem(doc.file, line, f"duplicate key {key!r}"))
            seen.add(key)
            doc.lines.setdefault((*path, key), line)
            value = _walk(value_node, (*path, key), doc, constructor, merges)
            out[_walk(key_node, (*path, key), doc, constructor, merges)] = value
        for value_node in merged:
            merges.append(value_node)
            _walk(value_node, path, doc, constructor, merges)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.lines[(*path, index)] = item.start_mark.line + 1
            items.append(_walk(item, (*path, index), doc, constructor, merges))
        return items
    if node.tag == _STR:
        return node.value
    return constructor.construct_object(node, deep=True)
