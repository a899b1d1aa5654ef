"""The authoring-file reader: safe_load's data, every part's position, and hostile files refused fast."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.yamlfile import MAX_BYTES, MAX_DEPTH, MAX_NODES, Mark, parse_yaml, read_yaml


def _problems(text: str) -> list[str]:
    return [str(p) for p in parse_yaml(text, "t.yaml").problems]


def test_positions_of_keys_and_values_block_and_flow() -> None:
    doc = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - {y: 2}\n", "t.yaml")
    assert doc.problems == []
    assert doc.data == {"a": {"b": 1, "c": ["x", {"y": 2}]}}
    assert doc.position(("a", "b")) == Mark(2, 6)
    assert doc.position(("a", "b"), key=True) == Mark(2, 3)
    assert doc.position(("a", "c", 1, "y")) == Mark(5, 11)
    assert doc.position(("a", "c", 1, "y"), key=True) == Mark(5, 8)
    # a sequence item has no key: its value's place answers
    assert doc.position(("a", "c", 0), key=True) == Mark(4, 7)


def test_parts_not_in_the_file_are_skipped_to_the_nearest_written_place() -> None:
    doc = parse_yaml("rules:\n  - id: r\n    when: {all: []}\n", "t.yaml")
    # pydantic-style paths: a missing field, a union member name
    assert doc.position(("rules", 0, "then")) == Mark(2, 5)
    assert doc.position(("rules", 0, "when", "function-after[_positive()]", "all")) == Mark(3, 17)
    assert doc.position(()) == Mark(1, 1)
    assert doc.problem(("rules", 0, "id"), "r", "bad id").__str__() == "t.yaml:2:9 r: bad id"


def test_duplicate_keys_are_problems_with_their_path_and_the_last_value_is_kept() -> None:
    doc = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml")
    assert doc.data == {"a": 1, "b": {"c": 2}}
    [problem] = doc.problems
    assert str(problem) == "t.yaml:4:3 -: duplicate key 'c'"
    assert doc.paths[problem] == ("b", "c")


def test_merge_keys_read_as_pyyaml_reads_them() -> None:
    text = "base: &b {title: T, risk: low}\nr:\n  <<: *b\n  risk: high\nl:\n  <<: [{a: 1}, {a: 2, b: 3}]\n  b: 9\n"
    doc = parse_yaml(text, "t.yaml")
    assert doc.problems == []
    assert doc.data == _safe_load(text)
    assert doc.position(("r", "risk"), key=True) == Mark(4, 3)
    assert _problems("a:\n  <<: [1]\n") == [
        "t.yaml:2:3 -: a merge key (<<) takes a mapping or a list of mappings"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: &x 1\nb: &x 2\n", "t.yaml:2:4 -: anchor &x is defined twice"),
        ("a: *nowhere\n", "t.yaml:1:4 -: unknown alias *nowhere"),
        ("x: &a [1, *a]\n", "t.yaml:1:11 -: alias *a is inside the node it names"),
        ("? [1]\n: 2\n", "t.yaml:1:3 -: a mapping key must be a scalar, not a mapping or a sequence"),
        ("a: !!set {x, y}\n", "t.yaml:1:4 -: unsupported tag tag:yaml.org,2002:set"),
        (
            "a: !!python/name:os.system x\n",
            "t.yaml:1:4 -: unsupported tag tag:yaml.org,2002:python/name:os.system",
        ),
        (
            "a: !!int zz\n",
            "t.yaml:1:4 -: cannot read 'zz' as int: invalid literal for int() with base 10: 'zz'",
        ),
        ("a: 1\n---\nb: 2\n", "t.yaml:2:1 -: a file holds one YAML document; found a second"),
        ("a: [1, 2\n", "t.yaml:2:1 -: YAML syntax: did not find expected ',' or ']'"),
    ],
)
def test_what_safe_load_would_refuse_or_misread_is_one_located_problem(text: str, problem: str) -> None:
    doc = parse_yaml(text, "t.yaml")
    assert [str(p) for p in doc.problems] == [problem]
    assert doc.data is None


def test_an_empty_file_has_no_data_and_no_problem() -> None:
    doc = parse_yaml("# nothing yet\n", "t.yaml")
    assert (doc.data, doc.problems) == (None, [])


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_expansion_is_bounded_at_the_alias_that_crosses_it() -> None:
    # level k holds 10^k leaves: 10^5 nodes fit, level 6 crosses MAX_NODES at its first alias
    assert MAX_NODES < 10**6
    assert _problems(_laughs(5)) == []
    assert _problems(_laughs(10)) == [
        f"t.yaml:6:10 -: the document expands to more than {MAX_NODES} nodes (aliases count in full)"
    ]


def test_the_billion_laughs_file_is_refused_by_both_loaders_as_one_problem(tmp_path: Path) -> None:
    from knowledge_graph import compile_graph
    from rules.book import load_packs

    path = tmp_path / "laughs.yaml"
    path.write_text(_laughs(10), encoding="utf-8")
    expected = [f"{path}:6:10 -: the document expands to more than {MAX_NODES} nodes (aliases count in full)"]
    assert [str(p) for p in compile_graph([path])[1]] == expected
    assert [str(p) for p in load_packs([path])[1]] == expected


def test_nesting_is_bounded_without_recursion() -> None:
    block = "".join(" " * i + "a:\n" for i in range(MAX_DEPTH + 10))
    assert _problems(block) == [
        f"t.yaml:{MAX_DEPTH + 1}:{MAX_DEPTH + 1} -: nesting deeper than {MAX_DEPTH} levels"
    ]
    flow = "a: " + "[" * 20000 + "]" * 20000 + "\n"
    [problem] = parse_yaml(flow, "t.yaml").problems
    assert (problem.line, problem.subject) == (1, "-") and problem.message.startswith("YAML syntax:")
    assert _problems("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n") == []


def test_oversized_text_and_files_are_not_parsed(tmp_path: Path) -> None:
    big = "a: " + "x" * MAX_BYTES + "\n"
    message = "larger than 2 MiB; an authoring file is far smaller"
    assert _problems(big) == [f"t.yaml:1:1 -: {message}"]
    path = tmp_path / "big.yaml"
    path.write_text(big, encoding="utf-8")
    assert [str(p) for p in read_yaml(path).problems] == [f"{path}:1:1 -: {message}"]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pack.yaml"
    os.mkfifo(fifo)
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.extend(str(p) for p in read_yaml(fifo).problems))
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the reader before failing, so the test run can end
        with open(fifo, "w"):
            pass
        reader.join()
        pytest.fail("reading a FIFO blocked")
    assert result == [f"{fifo}:1:1 -: cannot read: not a regular file (a FIFO, socket or device)"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dev/null", "cannot read: not a regular file (a FIFO, socket or device)"),
        (".", "cannot read: is a directory"),
        ("missing.yaml", "cannot read: no such file or directory"),
    ],
)
def test_other_unreadable_paths_are_one_problem(path: str, message: str, tmp_path: Path) -> None:
    target = Path(path) if path.startswith("/") else tmp_path / path
    assert [(p.line, p.col, p.message) for p in read_yaml(target).problems] == [(1, 1, message)]


def test_text_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\u00e9\n".encode("latin-1"))
    [problem] = read_yaml(path).problems
    assert problem.message.startswith("cannot read: not UTF-8")


# Plain keys that YAML reads as strings (``no``, ``on``, ``null`` and their kind are not keys a
# position can be asked of by their text: they load as booleans or null).
_plain_keys = st.from_regex(re.compile(r"[a-z][a-z0-9_]{0,8}"), fullmatch=True).filter(
    lambda k: _safe_load(f"{k}: 1") == {k: 1}
)


@given(
    st.lists(_plain_keys, min_size=1, max_size=8, unique=True),
    st.lists(st.integers(0, 3), min_size=8, max_size=8),
    st.lists(st.integers(0, 4), min_size=8, max_size=8),
)
def test_keys_are_placed_where_they_are_written(
    keys: list[str], blank_lines: list[int], indents: list[int]
) -> None:
    text, expected, line = "", {}, 1
    for key, blanks, indent in zip(keys, blank_lines, indents, strict=False):
        text += "\n" * blanks
        line += blanks
        text += f"{key}: {' ' * indent}1\n"
        expected[(key,)] = (Mark(line, 1), Mark(line, len(key) + 3 + indent))
        line += 1
    doc = parse_yaml(text, "t.yaml")
    assert doc.problems == []
    assert {k: (doc.position(k, key=True), doc.position(k)) for k in expected} == expected


def _safe_load(text: str) -> Any:
    """``safe_load`` over libyaml, the parser the reader uses (pure PyYAML reads a bare ``!`` as null)."""
    return yaml.load(text, Loader=yaml.CSafeLoader)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_documents, st.booleans())
def test_data_is_what_safe_load_reads(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    doc = parse_yaml(text, "t.yaml")
    assert doc.problems == []
    assert doc.data == _safe_load(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab:-[]{}&*!<,? \n\"'#0.", max_size=40))
def test_any_text_gives_data_or_located_problems_never_an_exception(text: str) -> None:
    doc = parse_yaml(text, "t.yaml")
    try:
        expected = _safe_load(text)
    except yaml.YAMLError:
        assert doc.problems and doc.data is None
        return
    assert all(p.line >= 1 and p.col >= 1 for p in doc.problems)
    if not doc.problems:
        assert doc.data == expected
