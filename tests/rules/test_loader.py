"""Rule files are rejected with FILE:LINE:COL rule-id: message, and a bad reload changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from models import RulePack
from rules import RuleBook, RuleLoadError, load_rulebook
from rules.loader import parse_pack
from tests.rules.fakes import KG

GOOD = """\
pack: demo
rules:
  - id: cpu_hog
    title: CPU hog
    when:
      all:
        - signal: cpu_user
          score: {gte: 3}
    then: {cause: cpu_saturation}
    certainty: 0.8
"""


def _errors(tmp_path: Path, *texts: str) -> list[str]:
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"r{i}.yaml"
        path.write_text(text)
        paths.append(path)
    with pytest.raises(RuleLoadError) as caught:
        load_rulebook(paths, graph=KG)
    return [line.replace(str(tmp_path) + "/", "") for line in caught.value.lines]


def test_yaml_error_points_at_the_offending_character(tmp_path: Path) -> None:
    text = GOOD.replace("title: CPU hog", "title: [CPU hog")
    assert _errors(tmp_path, text) == [
        "r0.yaml:5:9 -: YAML syntax: did not find expected ',' or ']'",
    ]


def test_unknown_field_points_at_the_key(tmp_path: Path) -> None:
    text = GOOD.replace("score: {gte: 3}", "scor: {gte: 3}")
    assert _errors(tmp_path, text) == ["r0.yaml:8:11 cpu_hog: unknown field 'scor' in when.all[0]"]


def test_invalid_values_are_reported_all_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("certainty: 0.8", "certainty: 1.5").replace(
        "- signal: cpu_user", "- signal: cpu_user\n          fact: x"
    )
    assert _errors(tmp_path, text) == [
        "r0.yaml:7:11 cpu_hog: when.all[0]: a condition names exactly one of signal, fact, observation",
        "r0.yaml:11:16 cpu_hog: certainty: Input should be less than or equal to 1",
    ]


def test_unknown_cause_and_metric(tmp_path: Path) -> None:
    text = GOOD.replace("cause: cpu_saturation", "cause: cpu_saturaton").replace("cpu_user", "cpu_usr")
    assert _errors(tmp_path, text) == [
        "r0.yaml:7:19 cpu_hog: unknown metric 'cpu_usr' (not in the knowledge graph)",
        "r0.yaml:9:19 cpu_hog: unknown cause 'cpu_saturaton' (not in the knowledge graph)",
    ]


def test_comparison_on_a_string_field(tmp_path: Path) -> None:
    text = GOOD.replace("score: {gte: 3}", "where: {shape: {gt: 3}}")
    assert _errors(tmp_path, text) == ["r0.yaml:8:19 cpu_hog: comparison on a string field 'shape'"]


def test_cycle_of_derived_facts_and_a_dangling_fact(tmp_path: Path) -> None:
    text = """\
pack: loop
rules:
  - id: a_from_b
    title: a
    when: {all: [{fact: b}]}
    then: {fact: a}
    certainty: 0.5
  - id: b_from_a
    title: b
    when: {all: [{fact: a}, {fact: ghost}]}
    then: {fact: b}
    certainty: 0.5
"""
    assert _errors(tmp_path, text) == [
        "r0.yaml:10:25 b_from_a: derived facts form a cycle: a -> b -> a",
        "r0.yaml:10:36 b_from_a: fact 'ghost' is concluded by no rule",
    ]


def test_duplicate_rule_id_across_files(tmp_path: Path) -> None:
    assert _errors(tmp_path, GOOD, GOOD.replace("pack: demo", "pack: other")) == [
        "r1.yaml:3:9 cpu_hog: duplicate rule id (first defined at r0.yaml:3:9)",
    ]


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    assert _errors(tmp_path, GOOD + "    certainty: 0.7\n") == [
        "r0.yaml:11:5 cpu_hog: duplicate key 'certainty'"
    ]


def test_empty_file_and_missing_path(tmp_path: Path) -> None:
    assert _errors(tmp_path, "") == [
        "r0.yaml:1:1 -: a rule file is a mapping with `pack` and `rules`, not an empty file"
    ]
    with pytest.raises(RuleLoadError) as caught:
        load_rulebook([tmp_path / "nope.yaml"], graph=KG)
    assert caught.value.lines == [f"{tmp_path}/nope.yaml:1:1 -: no such file or directory"]


def test_a_bad_reload_keeps_the_old_book(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(GOOD)
    book = load_rulebook([path], graph=KG)
    path.write_text(GOOD.replace("certainty: 0.8", "certainty: high"))
    with pytest.raises(RuleLoadError):
        book = book.reload(graph=KG)
    assert [r.id for r in book.rules] == ["cpu_hog"] and book.rule("cpu_hog").certainty == 0.8


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab:-[]{}\n #'\"\t0.,&*!|>"), max_size=80))
def test_any_text_is_either_a_pack_or_located_problems(text: str) -> None:
    """The parser never raises anything but RuleLoadError, and every problem has a real position."""
    try:
        parse_pack(text, "x.yaml")
    except RuleLoadError as exc:
        lines = text.splitlines() or [""]
        assert exc.problems
        for p in exc.problems:
            assert p.file == "x.yaml" and 1 <= p.line <= len(lines) + 1 and p.col >= 1


def test_a_directory_without_rule_files_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(RuleLoadError) as caught:
        load_rulebook([tmp_path], graph=KG)
    assert caught.value.lines == [f"{tmp_path}:1:1 -: no rule files (*.yaml, *.yml) in this directory"]


rule_ids = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(rule_ids, min_size=1, max_size=6, unique=True),
    bounds=st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=6, max_size=6),
    cf=st.floats(min_value=0.01, max_value=1.0),
)
def test_a_written_pack_loads_back_equal_and_positions_find_each_rule(
    ids: list[str], bounds: list[float], cf: float
) -> None:
    data = {
        "pack": "gen",
        "rules": [
            {
                "id": rid,
                "title": f"rule {rid}",
                "when": {"all": [{"signal": "cpu_user", "score": {"gt": bounds[i % len(bounds)]}}]},
                "then": {"cause": "cpu_saturation"},
                "certainty": cf,
            }
            for i, rid in enumerate(ids)
        ],
    }
    text = yaml.safe_dump(data, sort_keys=False)
    loaded = parse_pack(text, "gen.yaml")
    assert loaded.pack == RulePack.model_validate(data)
    lines = text.splitlines()
    for i, rid in enumerate(ids):
        line, col = loaded.source.position(("rules", i, "id"))
        assert lines[line - 1][col - 1 :].lstrip("'\"").startswith(rid)


def test_a_bound_the_engine_cannot_read(tmp_path: Path) -> None:
    text = GOOD.replace("score: {gte: 3}", "score: {gte: 0.00001}\n          where: {peak: {lt: 1.0e+20}}")
    assert _errors(tmp_path, text) == [
        "r0.yaml:8:24 cpu_hog: bound 1e-05 is out of the engine's range (0, or 1e-4 <= |x| < 1e16)",
        "r0.yaml:9:30 cpu_hog: bound 1e+20 is out of the engine's range (0, or 1e-4 <= |x| < 1e16)",
    ]


def test_a_bound_written_as_text_or_a_flag_is_not_read_as_a_number(tmp_path: Path) -> None:
    """``gte: "3"`` once silently meant 3; YAML also reads ``1e20`` (no dot) as text."""
    text = GOOD.replace(
        "score: {gte: 3}", 'score: {gte: "3", lt: true}\n          where: {peak: {lt: 1e20}, rows: 5}'
    )
    assert _errors(tmp_path, text) == [
        "r0.yaml:8:24 cpu_hog: when.all[0].score.gte: '3' is text, not a number (drop the quotes)",
        "r0.yaml:8:33 cpu_hog: when.all[0].score.lt: Input should be a valid number",
        "r0.yaml:9:30 cpu_hog: when.all[0].where.peak.lt: '1e20' is text, not a number (write an exponent as 1.0e+20)",
        "r0.yaml:9:43 cpu_hog: when.all[0].where.rows: Input should be a valid dictionary or instance of NumTest",
    ]


def test_reloading_a_book_built_in_memory_gives_a_new_version_of_the_same_rules() -> None:
    empty = RuleBook.empty()
    again = empty.reload(graph=KG)
    assert (len(again), again.version > empty.version) == (0, True)
