"""The learned rules as an ordinary rule pack: YAML a person reads, edits, lints and tests.

The file says it was learned and from what; each rule says how often it was
right on the training incidents and carries inline tests on the training
incidents it fires on (paths relative to the file, as every pack's tests
are). A label that is not a cause of the knowledge graph gets no rule (lint
would reject it); the pack's description names it and says how to add it.
"""

from __future__ import annotations

import os
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from models import RulePack
from rules.learn.examples import Example
from rules.learn.induce import DEFAULTS, LearnedRule, LearnSettings, induce
from rules.learn.mine import MinedIncident, MiningError, mine
from rules.loader import parse_pack

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph

TESTS_PER_RULE = 3
WIDTH = 100
ADD_CAUSE_HINT = (
    "define it under `causes:` in a knowledge-graph file (knowledge_graph/data/causes_*.yaml, "
    "or your own with --graph; see knowledge_graph/README.md), then learn again"
)


@dataclass(frozen=True)
class LearnedPack:
    """The pack (validated), its YAML text, the rules behind it, and what could not be learned."""

    pack: RulePack
    text: str
    rules: tuple[LearnedRule, ...]
    examples: int
    unknown_causes: dict[str, int] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()


def mine_all(examples: Sequence[Example], kg: KnowledgeGraph) -> tuple[list[MinedIncident], list[str]]:
    """Every example mined; those that cannot be are skipped with the reason."""
    mined: list[MinedIncident] = []
    skipped: list[str] = []
    for example in examples:
        try:
            mined.append(mine(example, kg))
        except MiningError as exc:
            skipped.append(str(exc))
    return mined, skipped


def learn_pack(
    examples: Sequence[Example],
    kg: KnowledgeGraph,
    *,
    name: str = "learned",
    out: Path | None = None,
    settings: LearnSettings = DEFAULTS,
) -> LearnedPack:
    """Learn from ``examples`` into a pack named ``name`` (its file will be ``out``, for test paths)."""
    mined, skipped = mine_all(examples, kg)
    return pack_from_mined(mined, kg, name=name, out=out, settings=settings, skipped=skipped)


def pack_from_mined(
    mined: Sequence[MinedIncident],
    kg: KnowledgeGraph,
    *,
    name: str = "learned",
    out: Path | None = None,
    settings: LearnSettings = DEFAULTS,
    skipped: Sequence[str] = (),
) -> LearnedPack:
    counts = Counter(c for m in mined for c in dict.fromkeys(m.example.causes))
    known = sorted(c for c in counts if kg.has_cause(c))
    unknown = {c: n for c, n in sorted(counts.items()) if not kg.has_cause(c)}
    rules = induce(mined, known, settings)
    text = render(name, mined, rules, unknown, kg, out)
    loaded = parse_pack(text, str(out or f"{name}.yaml"), out)
    return LearnedPack(loaded.pack, text, tuple(rules), len(mined), unknown, tuple(skipped))


def render(
    name: str,
    mined: Sequence[MinedIncident],
    rules: Sequence[LearnedRule],
    unknown: dict[str, int],
    kg: KnowledgeGraph,
    out: Path | None,
) -> str:
    engines = sorted({m.engine for m in mined})
    lines = [
        f"# Learned by `sleuth rules learn` from {len(mined)} incidents; edit freely, lint and test as any pack.",
        f"pack: {name}",
        "description: >",
        *_folded(_pack_description(mined, unknown), "  "),
        f"engines: {_flow(engines)}",
        "rules:" if rules else "rules: []",
    ]
    numbers: Counter[str] = Counter()
    for rule in rules:
        numbers[rule.cause] += 1
        lines.append("")
        lines += _rule_lines(f"{name}_{rule.cause}_{numbers[rule.cause]}", rule, mined, kg, out)
    return "\n".join(lines) + "\n"


def _pack_description(mined: Sequence[MinedIncident], unknown: dict[str, int]) -> str:
    counts = Counter(c for m in mined for c in dict.fromkeys(m.example.causes))
    learned = ", ".join(f"{c} ({n})" for c, n in sorted(counts.items()) if c not in unknown)
    origins = sorted({_source_kind(m.example) for m in mined})
    text = (
        f"Rules learned from {len(mined)} {' and '.join(origins)} incidents with DBSherlock's "
        "predicate method (SIGMOD 2016): per metric, the rows of each anomaly window against its "
        "normal rows, in robust standard units (the signals' score); per cause, the predicates most "
        "incidents share, combined into rules whose certainty is their precision on those incidents. "
        f"Causes and incidents: {learned or 'none'}."
    )
    if unknown:
        missing = ", ".join(f"{c} ({n})" for c, n in unknown.items())
        text += f" No rule concludes {missing}: not causes of the knowledge graph; to learn one, {ADD_CAUSE_HINT}."
    return text


def _source_kind(example: Example) -> str:
    return "confirmed" if example.origin.startswith("history") else "labelled"


def _rule_lines(
    rule_id: str,
    rule: LearnedRule,
    mined: Sequence[MinedIncident],
    kg: KnowledgeGraph,
    out: Path | None,
) -> list[str]:
    positives = sum(1 for m in mined if rule.cause in m.example.causes)
    others = len(mined) - positives
    moves = " and ".join(f"{c.metric} {'rose' if c.direction == 'up' else 'fell'}" for c in rule.conditions)
    kind = "A weaker rule on the single most separating condition. " if rule.fallback else ""
    description = (
        f"{kind}Learned for {rule.cause} ({kg.title(rule.cause)}): fires on {rule.hits} of the "
        f"{positives} training incidents with this cause and on {rule.false_alarms} of the {others} "
        f"others; certainty {rule.certainty:.2f} from that precision. Scores are robust z: the window's "
        "median against the normal rows, in robust standard deviations."
    )
    lines = [
        f"  - id: {rule_id}",
        f"    title: {_flow(f'{moves} ({rule.cause}, learned)')}",
        "    description: >",
        *_folded(description, "      "),
        "    when:",
        "      all:",
    ]
    lines += [
        f"        - {_flow(c.condition.model_dump(exclude_none=True, exclude_defaults=True))}"
        for c in rule.conditions
    ]
    lines += [f"    then: {_flow({'cause': rule.cause})}", f"    certainty: {rule.certainty}"]
    tests = _tests(rule, mined, out)
    if tests:
        lines.append("    tests:")
        lines += [f"      - {_flow(t)}" for t in tests]
    return lines


def _tests(rule: LearnedRule, mined: Sequence[MinedIncident], out: Path | None) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for i in sorted(rule.fires):
        example = mined[i].example
        if rule.cause not in example.causes or example.path is None:
            continue
        tests.append({"incident": _relative(example.path, out), "expect": [rule.cause]})
        if len(tests) == TESTS_PER_RULE:
            break
    return tests


def _relative(path: Path, out: Path | None) -> str:
    if out is None:
        return str(path.resolve())
    return os.path.relpath(path.resolve(), out.resolve().parent)


def _flow(value: Any) -> str:
    """One line of YAML; a lone scalar comes back without the document-end marker PyYAML adds."""
    text = yaml.safe_dump(value, default_flow_style=True, width=float("inf"), sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def _folded(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH - len(indent), initial_indent=indent, subsequent_indent=indent)
