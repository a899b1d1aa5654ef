"""Rule files (YAML) to ``models.RulePack``, with every error pointing at FILE:LINE:COL.

The file is read once by ``sources.yamlfile`` (data plus the place of every
part); pydantic validates the data and ``YamlFile.validation_problems`` puts
each error where it was written, under the id of the rule it is in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import NO_SUBJECT, Problem, RulePack
from rules.compiler import Definitions, pack_definitions
from rules.problems import RuleLoadError
from sources.yamlfile import YamlFile, YamlPath, parse_yaml, read_yaml


@dataclass(frozen=True)
class LoadedPack:
    """A validated pack and the file it came from, which lint needs to point at its parts.

    ``definitions`` are its rulesets' durable definitions (``rules.compiler.pack_definitions``),
    written here so that the compiled cache keeps them with the pack.
    """

    path: Path
    pack: RulePack
    source: YamlFile
    definitions: tuple[Definitions, ...] = field(compare=False, repr=False)


def read_pack(path: Path) -> LoadedPack:
    """Read and validate one rule file; every problem found is raised at once."""
    return _validated(read_yaml(path), path)


def parse_pack(text: str, name: str, path: Path | None = None) -> LoadedPack:
    """As ``read_pack`` for text already in memory (an editor validates unsaved text)."""
    return _validated(parse_yaml(text, name), path or Path(name))


def _validated(source: YamlFile, path: Path) -> LoadedPack:
    data = source.data
    problems = [_owned(source, p) for p in source.problems]
    if not isinstance(data, dict):
        if data is not None or not problems:
            got = "an empty file" if data is None else f"a {type(data).__name__}"
            message = f"a rule file is a mapping with `pack` and `rules`, not {got}"
            problems.append(source.problem((), NO_SUBJECT, message))
        raise RuleLoadError(problems)
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        problems.extend(source.validation_problems(exc, subject=lambda path: _rule_of(data, path)))
    if problems:
        raise RuleLoadError(problems)
    return LoadedPack(path, pack, source, pack_definitions(pack.rules))


def rule_label(data: Any, index: int) -> str:
    """The id to print for rule ``index``: its own id when it has a usable one."""
    rules = data.get("rules") if isinstance(data, dict) else None
    if isinstance(rules, list) and 0 <= index < len(rules):
        rule = rules[index]
        if isinstance(rule, dict) and isinstance(rule.get("id"), str) and rule["id"]:
            return str(rule["id"])
    return f"rules[{index}]"


def _rule_of(data: Any, path: YamlPath) -> tuple[str, int]:
    """The rule a path in a rule file belongs to, and the length of the rule's own path."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        return rule_label(data, path[1]), 2
    return NO_SUBJECT, 0


def _owned(source: YamlFile, problem: Problem) -> Problem:
    """A reader's problem inside a rule (a duplicate key there) carries that rule's id."""
    rule, _ = _rule_of(source.data, source.paths.get(problem, ()))
    return replace(problem, subject=rule)
