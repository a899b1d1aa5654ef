"""Rule files (YAML) to ``models.RulePack``, with every error pointing at FILE:LINE:COL.

pydantic reports errors as paths into plain data (``rules.2.when.all.0.scor``),
which an author cannot act on; PyYAML's composed node tree still carries the
marks, so we validate the plain data and walk the same path through the nodes
to recover where it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models import RulePack
from rules.problems import NO_RULE, Problem, RuleLoadError

PathPart = str | int


@dataclass(frozen=True)
class SourceMap:
    """Where each part of a rule file was written, for messages that point into it."""

    file: str
    root: yaml.Node | None

    def position(self, path: Sequence[PathPart], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of ``path``; ``key=True`` points at the last mapping key instead.

        Parts that are not in the file (a missing field, pydantic's union member
        names) are skipped, so the answer is the nearest enclosing place.
        """
        node = self.root
        if node is None:
            return (1, 1)
        mark_node: yaml.Node = node
        for part in path:
            step = _child(node, part)
            if step is None:
                continue
            key_node, node = step
            mark_node = key_node if key and key_node is not None else node
        mark = mark_node.start_mark
        return (mark.line + 1, mark.column + 1)

    def problem(self, path: Sequence[PathPart], rule: str, message: str, *, key: bool = False) -> Problem:
        line, col = self.position(path, key=key)
        return Problem(self.file, line, col, rule, message)


@dataclass(frozen=True)
class LoadedPack:
    """A validated pack and the source map that lint needs to point at its parts."""

    path: Path
    pack: RulePack
    source: SourceMap


def read_pack(path: Path) -> LoadedPack:
    """Parse and validate one rule file; every problem found is raised at once."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleLoadError(
            [Problem(name, 1, 1, NO_RULE, f"cannot read rule file: {_reason(exc)}")]
        ) from None
    return parse_pack(text, name, path)


def parse_pack(text: str, name: str, path: Path | None = None) -> LoadedPack:
    """As ``read_pack`` for text already in memory (the UI's rule editor validates unsaved text)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        raise RuleLoadError([Problem(name, line, col, NO_RULE, f"YAML error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise RuleLoadError([Problem(name, 1, 1, NO_RULE, f"YAML error: {exc}")]) from None
    source = SourceMap(name, root)
    problems = _duplicate_keys(source, data)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        problems.append(
            source.problem((), NO_RULE, f"a rule file is a mapping with `pack` and `rules`, not {got}")
        )
        raise RuleLoadError(problems)
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(source, data, exc))
    if problems:
        raise RuleLoadError(problems)
    return LoadedPack(path or Path(name), pack, source)


def rule_label(data: Any, index: int) -> str:
    """The id to print for rule ``index``: its own id when it has a usable one."""
    rules = data.get("rules") if isinstance(data, dict) else None
    if isinstance(rules, list) and 0 <= index < len(rules):
        rule = rules[index]
        if isinstance(rule, dict) and isinstance(rule.get("id"), str) and rule["id"]:
            return str(rule["id"])
    return f"rules[{index}]"


def _validation_problems(source: SourceMap, data: Any, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        rule = NO_RULE
        inner: tuple[PathPart, ...] = loc
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rule = rule_label(data, loc[1])
            inner = loc[2:]
        kind = error["type"]
        where = _dotted(inner[:-1])
        if kind == "extra_forbidden":
            msg = f"unknown field {inner[-1]!r}" + (f" in {where}" if where else "")
            problems.append(source.problem(loc, rule, msg, key=True))
        elif kind == "missing":
            msg = f"missing field {inner[-1]!r}" + (f" in {where}" if where else "")
            problems.append(source.problem(loc, rule, msg))
        else:
            text = str(error["msg"]).removeprefix("Value error, ")
            field = _dotted(inner)
            problems.append(source.problem(loc, rule, f"{field}: {text}" if field else text))
    return problems


def _duplicate_keys(source: SourceMap, data: Any) -> list[Problem]:
    """YAML keeps the last of two equal keys silently; an author almost never means that."""
    problems: list[Problem] = []

    def walk(node: yaml.Node, path: tuple[PathPart, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    rule = (
                        rule_label(data, path[1]) if len(path) >= 2 and isinstance(path[1], int) else NO_RULE
                    )
                    mark = key_node.start_mark
                    problems.append(
                        Problem(source.file, mark.line + 1, mark.column + 1, rule, f"duplicate key {key!r}")
                    )
                seen.add(key)
                walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if source.root is not None:
        walk(source.root, ())
    return problems


def _child(node: yaml.Node, part: PathPart) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if str(key_node.value) == str(part):
                return (key_node, value_node)
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return (None, node.value[part])
    return None


def _dotted(path: Sequence[PathPart]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)
