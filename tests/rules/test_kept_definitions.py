"""A pack carries its rulesets' durable definitions, written when it is read and kept by the cache.

The engine hands durable these instead of building the expression objects
again, so they must be exactly what the book's own rulesets would be written as,
survive pickling, and stay untouched by durable (which removes each rule's action).
"""

from __future__ import annotations

import json
import pickle

from rules.book import RuleBook, load_rulebook
from rules.compiler import SINK, SUBJECT_LIMIT, definition, plan_rulesets, rule_definitions
from rules.engine import prepare
from tests.rules.fakes import book_from

SIGNALS = ("cpu_user", "latency", "row_lock_waits")


def _action(_closure: object) -> None:
    """Stands for the engine's action; only its identity is checked."""


def _many(pack: str, count: int) -> str:
    rules = "".join(
        f"""
  - id: {pack}_{i}
    title: rule {i}
    when:
      all:
        - {{signal: {SIGNALS[i % len(SIGNALS)]}, score: {{gte: {i % 5 + 1}}}}}
    then: {{cause: cpu_saturation}}
    certainty: 0.5
"""
        for i in range(count)
    )
    return f"pack: {pack}\nrules:{rules}"


def test_each_shipped_packs_kept_definitions_equal_its_rulesets_written_afresh() -> None:
    for loaded in load_rulebook().packs:
        kept = pickle.loads(pickle.dumps(loaded)).definitions
        rulesets = plan_rulesets(f"sleuth_{loaded.pack.pack}_v7", loaded.pack.rules)
        assert list(kept) == [rule_definitions(ruleset) for ruleset in rulesets]


def test_a_pack_split_into_several_rulesets_keeps_one_definition_per_ruleset_with_its_rules() -> None:
    # Three subjects in turn: the first ruleset is full when each holds SUBJECT_LIMIT rules.
    full = len(SIGNALS) * SUBJECT_LIMIT
    (loaded,) = book_from(_many("big", full + 5)).packs
    assert [sorted(d) for d in loaded.definitions] == [
        sorted([SINK, *(f"big_{i}" for i in range(full))]),
        sorted([SINK, *(f"big_{i}" for i in range(full, full + 5))]),
    ]


def test_the_definition_gives_every_rule_its_action_and_durable_parses_the_same_text() -> None:
    (loaded,) = book_from(_many("few", 3)).packs
    (ruleset,) = plan_rulesets("sleuth_few_v1", loaded.pack.rules)
    given = definition(ruleset, lambda compiled: _action, loaded.definitions[0])
    assert {name: rule["run"] is _action for name, rule in given.items()} == {
        "few_0": True,
        "few_1": True,
        "few_2": True,
        SINK: False,
    }
    fresh = definition(ruleset, lambda compiled: _action)
    assert _parsed(given) == _parsed(fresh) == json.dumps(loaded.definitions[0])


def _parsed(definitions: dict[str, dict[str, object]]) -> str:
    """The text durable's ``Ruleset`` parses: the definition without the actions."""
    return json.dumps(
        {name: {k: v for k, v in rule.items() if k != "run"} for name, rule in definitions.items()}
    )


def test_registering_a_book_leaves_its_packs_definitions_as_they_were() -> None:
    book = book_from(_many("reg", 4))
    before = json.dumps(book.packs[0].definitions)
    prepare(book)
    prepare(RuleBook(book.packs))  # a second book of the same packs
    assert json.dumps(book.packs[0].definitions) == before
    assert "run" not in before


def test_a_rule_another_pack_defined_first_leaves_the_second_pack_to_be_written_afresh() -> None:
    first, later = book_from(_many("dup", 2)), book_from(_many("dup", 3).replace("pack: dup", "pack: later"))
    book = RuleBook([*first.packs, *later.packs])  # the lint would refuse the ids twice in one load
    names = {ruleset.name: [c.name for c in ruleset.rules] for ruleset in prepare(book)}
    assert list(names.values()) == [["dup_0", "dup_1"], ["dup_2"]]
