"""Hostile YAML to every command that reads an authoring file: rules lint, rules test,
diagnose --rules, kg check --graph and watch --fleet.

Every problem is a ``FILE:LINE:COL id: message`` line; a rule file that does not
load is a usage error for ``diagnose`` (exit 2, nothing diagnosed) and a failed
check for the others (exit 1). Alias bombs and deep nesting are refused where
they happen, so each input is answered in milliseconds.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sources.yamlfile import read_yaml
from tests.fuzz.cli import check, is_clear_yaml, run
from tests.fuzz.conftest import FUZZ
from tests.fuzz.hostile import YAML_ATTACKS, encoded, mutated, to_yaml

REPO = Path(__file__).resolve().parents[2]
INCIDENT = REPO / "examples" / "incidents" / "cpu_saturation-01.json"
TINY_GRAPH = REPO / "tests" / "knowledge_graph" / "fixtures" / "tiny" / "graph.yaml"

PACK: dict[str, Any] = {
    "pack": "fuzzed",
    "description": "one rule, mutated",
    "rules": [
        {
            "id": "fuzzed_cpu_rule",
            "title": "CPU busy",
            "engines": ["mysql", "postgres"],
            "when": {
                "all": [{"signal": "cpu_user", "direction": "up", "ratio": {"gte": 1.5}}],
                "any": [
                    {"signal": "latency", "direction": "up"},
                    {"signal": "threads_running", "direction": "up"},
                ],
            },
            "then": {"cause": "cpu_saturation"},
            "certainty": 0.7,
            "salience": 10,
        }
    ],
}
GRAPH: dict[str, Any] = read_yaml(TINY_GRAPH).data
_counter = itertools.count()


def _file(workdir: Path, name: str, content: bytes) -> Path:
    folder = workdir / f"case{next(_counter)}"
    folder.mkdir()
    path = folder / name
    path.write_bytes(content)
    return path


def _lint_and_test(path: Path) -> None:
    result = run(["rules", "lint", str(path)])
    problems = [line for line in result.out.splitlines() if line.strip()]
    check("rules lint", result, {0, 1}, all(is_clear_yaml(line, path) for line in problems))
    assert (result.code == 1) == bool(problems)
    assert result.err_lines[-1].endswith(f"{len(problems)} problems")

    result = run(["rules", "test", str(path)])
    lines = [line for line in result.err_lines if line.startswith(str(path))]
    check("rules test", result, {0, 1}, all(is_clear_yaml(line, path) for line in lines))

    result = run(["diagnose", "--no-llm", "--format", "json", "--rules", str(path), str(INCIDENT)])
    lines = [line for line in result.err_lines if line.startswith("sleuth: ")]
    check("diagnose --rules", result, {0, 2}, all(is_clear_yaml(line, path) for line in lines))
    assert (result.code == 2) == bool(problems)  # what lint refuses, diagnose refuses up front
    if result.code == 0:
        assert '"incident": "cpu_saturation-01"' in result.out


@FUZZ
@given(doc=mutated(PACK), data=st.data())
def test_a_rule_pack_with_one_hostile_part(workdir: Path, doc: Any, data: st.DataObject) -> None:
    _lint_and_test(_file(workdir, "pack.yaml", data.draw(encoded(to_yaml(doc)))))


@FUZZ
@given(
    attack=st.sampled_from(YAML_ATTACKS),
    prefix=st.sampled_from(["", "pack: x\nrules:\n  - ", "pack: x\nz: "]),
)
def test_yaml_attacks_on_rule_files(workdir: Path, attack: str, prefix: str) -> None:
    _lint_and_test(_file(workdir, "pack.yaml", (prefix + attack).encode("utf-8")))


def _kg_check(path: Path) -> None:
    result = run(["kg", "check", "--graph", str(path)])
    problems = [line for line in result.err_lines if not line.endswith(" problem(s)")]
    clear = all(is_clear_yaml(line, path) or line == "sleuth kg: the graph has no nodes" for line in problems)
    check("kg check --graph", result, {0, 1}, clear)
    assert (result.code == 0) == result.out.startswith("ok: ")


@FUZZ
@given(doc=mutated(GRAPH), data=st.data())
def test_a_graph_file_with_one_hostile_part(workdir: Path, doc: Any, data: st.DataObject) -> None:
    _kg_check(_file(workdir, "graph.yaml", data.draw(encoded(to_yaml(doc)))))


@FUZZ
@given(attack=st.sampled_from(YAML_ATTACKS), prefix=st.sampled_from(["", "causes:\n  c: ", "metrics: "]))
def test_yaml_attacks_on_graph_files(workdir: Path, attack: str, prefix: str) -> None:
    _kg_check(_file(workdir, "graph.yaml", (prefix + attack).encode("utf-8")))


FLEET: dict[str, Any] = {
    "defaults": {"interval": "2s", "view": "3m"},
    "servers": [
        {
            "name": "orders-pg",
            "dsn_env": "SLEUTH_FUZZ_NEVER_SET",
            "tags": ["prod", "eu"],
            "settings": {"interval": "500ms", "planner": "never"},
        },
        {"name": "billing-my", "dsn_env": "SLEUTH_FUZZ_NEVER_SET_EITHER", "tags": ["prod"]},
    ],
}


def _watch_fleet(path: Path) -> None:
    """A fleet file that loads still names unset variables, so the watch refuses before any
    connection: every input ends in a usage error, one clear line each."""
    state = ["--state", str(path.parent / "state"), "--incidents", str(path.parent / "incidents")]
    result = run(["watch", "--fleet", str(path), "--for", "1s", *state])
    lines = [line for line in result.err_lines if line.startswith("sleuth: ")]
    unset = all(line.startswith("sleuth: ") and "is not set" in line for line in result.err_lines)
    clear = bool(lines) and (unset or all(is_clear_yaml(line, path) for line in lines))
    check("watch --fleet", result, {2}, clear)
    assert not (path.parent / "state").exists()


@FUZZ
@given(doc=mutated(FLEET), data=st.data())
def test_a_fleet_file_with_one_hostile_part(workdir: Path, doc: Any, data: st.DataObject) -> None:
    _watch_fleet(_file(workdir, "fleet.yaml", data.draw(encoded(to_yaml(doc)))))


@FUZZ
@given(attack=st.sampled_from(YAML_ATTACKS), prefix=st.sampled_from(["", "servers:\n  - ", "defaults: "]))
def test_yaml_attacks_on_fleet_files(workdir: Path, attack: str, prefix: str) -> None:
    _watch_fleet(_file(workdir, "fleet.yaml", (prefix + attack).encode("utf-8")))
