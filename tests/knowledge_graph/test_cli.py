"""``sleuth kg ...`` end to end through the real argument parser."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from knowledge_graph import graph_stats as stats
from knowledge_graph import load_default_graph
from tests.knowledge_graph.conftest import TINY
from tui.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kg", "check", "--graph", str(TINY))
    assert (code, err) == (0, "")
    assert out == "ok: 3 causes, 4 checks, 1 components, 4 metrics, 3 remediations, 5 symptoms\n"


def test_check_reports_file_line_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text("causes:\n  c: {title: C, produces: {ghost: 0.5}}\n", encoding="utf-8")
    code, out, err = run(capsys, "kg", "check", "--graph", str(graph))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{graph}:2:3 c: cause has no check that can show any of its symptoms",
        f"{graph}:2:3 c: cause has no remediation",
        f"{graph}:2:3 c: cause produces 0 symptom(s); needs 2",
        f"{graph}:2:28 c: produces unknown symptom 'ghost'",
        "4 problem(s)",
    ]


def test_check_rules_prints_the_rule_linters_reference_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "pack: p\nrules:\n  - id: r\n    title: R\n    when: {all: [{signal: Lat}]}\n"
        "    then: {cause: c_lock}\n    certainty: 0.5\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "kg", "check", "--graph", str(TINY), "--rules", str(tmp_path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{pack}:5:27 r: unknown metric 'Lat' (a vendor name of 'm_lat': rules test canonical metrics)",
        "1 problem(s)",
    ]


def test_check_with_missing_rules_dir_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "kg", "check", "--rules", str(tmp_path / "nope"))
    assert code == 2
    assert err == f"sleuth kg: rule directory {tmp_path / 'nope'} does not exist\n"


def test_show_cause_and_vendor_metric(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kg", "show", "c_lock", "--graph", str(TINY))
    assert code == 0
    assert out.splitlines()[0] == "cause c_lock: Lock cause"
    assert out.splitlines()[-2:] == ["  remediation [low] Safe fix: ", "  remediation [high] Risky fix: "]
    code, out, _ = run(capsys, "kg", "show", "lock (core #3)", "--graph", str(TINY))
    assert code == 0
    assert out.splitlines() == [
        "metric m_locks: m_locks",
        "  <- observed_by (up) symptom s_locks: Locks up",
        "  <- measures check k_locks: Locks?",
        "  unit per_second, aggregate sum",
        "  aliases: lock (core #*)",
    ]


def test_show_a_share_says_what_it_is_computed_from(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kg", "show", "cpu_system_share")
    assert code == 0
    assert out.splitlines()[-3:] == [
        "  unit percent, aggregate mean",
        "  aliases: (none)",
        "  computed per sample: cpu_system as a percentage of cpu_user + cpu_system",
    ]


def test_show_unknown_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kg", "show", "c_lok", "--graph", str(TINY))
    assert (code, out) == (1, "")
    assert err == "sleuth kg: unknown node 'c_lok'; did you mean c_lock, s_locks, r_lo?\n"


def test_broken_graph_is_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "g.yaml").write_text("causes: [\n", encoding="utf-8")
    code, out, err = run(capsys, "kg", "stats", "--graph", str(tmp_path))
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("fmt", ["graphml", "json", "dot"])
def test_export_round_trips(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / f"kg.{fmt}"
    code, out, err = run(capsys, "kg", "export", "--format", fmt, "--out", str(out_file))
    assert (code, out, err) == (0, "", "")
    kg = load_default_graph()
    text = out_file.read_text(encoding="utf-8")
    if fmt == "graphml":
        graph = nx.read_graphml(out_file)
        assert graph.number_of_nodes() == kg.graph.number_of_nodes()
        assert graph.number_of_edges() == kg.graph.number_of_edges()
        assert json.loads(graph.nodes["cmp_latency"]["args"]) == {"metric": "latency"}
    elif fmt == "json":
        data = json.loads(text)
        assert len(data["nodes"]) == kg.graph.number_of_nodes()
        assert len(data["edges"]) == kg.graph.number_of_edges()
    else:
        assert text.startswith("digraph knowledge_graph {\n") and text.endswith("}\n")
        assert '"lock_contention" -> "lock_waits_up" [label="produces 0.9"];' in text
        assert text.count(" -> ") == kg.graph.number_of_edges()


def test_export_to_unwritable_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "kg.dot"
    code, _, err = run(capsys, "kg", "export", "--format", "dot", "--out", str(target))
    assert code == 1
    assert err.startswith(f"sleuth kg: cannot write {target}: ")


def test_stats_json_matches_graph(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kg", "stats", "--json")
    assert code == 0
    assert json.loads(out) == stats(load_default_graph())
    code, out, _ = run(capsys, "kg", "stats", "--graph", str(TINY))
    assert out.splitlines()[:3] == ["nodes:", "  cause                3", "  check                4"]


def test_kg_without_action_is_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "kg")
    assert code == 2 and err.startswith("usage: sleuth kg")
