"""Loading authoring files: every problem is reported once, at its own FILE:LINE:COL with its node."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_graph import GraphLoadError, compile_graph, load_graph
from models import Problem

BASE = """\
metrics:
  lat: {unit: ms, aggregate: mean, aliases: [Latency]}
symptoms:
  slow: {title: Slow, observed_by: [{metric: lat, direction: up}]}
causes:
  c: {title: C, produces: {slow: 0.5}}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path) -> list[str]:
    _, problems = compile_graph([tmp_path])
    return [str(p).replace(str(tmp_path) + "/", "") for p in problems]


def test_clean_files_load(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BASE)
    graph = load_graph([tmp_path])
    assert graph.resolve_metric("latency") == "lat"
    assert graph.cause_ids() == ["c"]


def test_dangling_references_point_at_the_reference(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a.yaml",
        BASE
        + """\
  d:
    title: D
    produces: {slow: 0.4, nope: 0.3}
    affects: [ghost]
    leads_to: {slow: 0.2, d: 0.5}
checks:
  k: {title: K, tool: compare_window, args: {metric: missing_metric}}
remediations:
  r: {title: R, risk: low, mitigates: [c, e]}
""",
    )
    assert _problems(tmp_path) == [
        "a.yaml:9:27 d: produces unknown symptom 'nope'",
        "a.yaml:10:15 d: affects unknown component 'ghost'",
        "a.yaml:11:16 d: leads_to 'slow' is a symptom, not a cause",
        "a.yaml:11:27 d: leads_to itself",
        "a.yaml:13:46 k: measures unknown metric 'missing_metric'",
        "a.yaml:15:43 r: mitigates unknown cause 'e'",
    ]


def test_duplicate_ids_across_files_and_duplicate_keys(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BASE)
    _write(
        tmp_path,
        "b.yaml",
        "causes:\n  c: {title: again, produces: {slow: 0.1}}\n  x: {title: X}\n  x: {title: Y}\n",
    )
    assert _problems(tmp_path) == [
        "b.yaml:2:3 c: duplicate id (first at a.yaml:6:3)",
        "b.yaml:4:3 x: duplicate key 'x'",
    ]


def test_duplicate_aliases(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BASE + "  other: {title: O}\n")
    _write(
        tmp_path,
        "b.yaml",
        """\
metrics:
  cpu: {unit: percent, aliases: [Latency, "cpu (core #*)", "cpu (core #*)", LAT]}
""",
    )
    assert _problems(tmp_path) == [
        "b.yaml:2:34 cpu: duplicate alias 'Latency' (already names 'lat')",
        "b.yaml:2:60 cpu: duplicate alias 'cpu (core #*)' (already names 'cpu')",
        "b.yaml:2:77 cpu: alias 'LAT' differs only in case from 'lat', which names 'lat'",
    ]


def test_alias_only_files_extend_metrics(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BASE)
    _write(
        tmp_path,
        "aliases_live.yaml",
        "aliases:\n  lat:\n    - pg_latency_ms\n    - {name: latency_seconds, scale: 1000}\n  nothere: [x]\n",
    )
    graph, problems = compile_graph([tmp_path])
    assert [str(p).replace(str(tmp_path) + "/", "") for p in problems] == [
        "aliases_live.yaml:5:3 nothere: aliases for an unknown metric"
    ]
    assert graph.resolve_metric("pg_latency_ms") == "lat"
    alias = graph.resolve_alias("latency_seconds")
    assert alias is not None and alias.scale == 1000.0


def test_schema_errors_are_located(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a.yaml",
        BASE
        + """\
  w: {title: W, produces: {slow: 1.5}}
  Bad-Id: {title: B}
checks:
  k1: {title: K, tool: run_sql}
  k2: {title: K, tool: top_sql, args: {order_by: random}}
  k3: {title: K, tool: settings, args: {names: []}}
  k4: {title: K, tool: lock_waits, args: {x: 1}}
remediations:
  r: {title: R, risk: extreme, mitigates: [c]}
colours: {}
""",
    )
    problems = _problems(tmp_path)
    assert problems[0] == "a.yaml:7:27 w: produces: weight of 'slow' must be in (0, 1], not 1.5"
    assert problems[1] == "a.yaml:8:3 Bad-Id: id is not snake_case"
    assert problems[2].startswith("a.yaml:10:24 k1: tool: Input should be 'metric_summary'")
    assert problems[3:] == [
        "a.yaml:11:33 k2: tool top_sql needs args.order_by in calls, rows_examined, temp, total_time, not 'random'",
        "a.yaml:12:34 k3: tool settings needs args.names (a non-empty list of parameter names)",
        "a.yaml:13:36 k4: tool lock_waits takes no args",
        "a.yaml:15:23 r: risk: Input should be 'low', 'medium' or 'high'",
        "a.yaml:16:1 -: unknown section 'colours' (metrics, symptoms, components, causes, checks, remediations, aliases)",
    ]


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "causes:\n  c: {title: C\n  d: 1\n")
    [problem] = compile_graph([tmp_path])[1]
    assert (problem.file, problem.line, problem.subject) == (str(tmp_path / "a.yaml"), 3, "-")
    assert problem.message.startswith("YAML syntax:")


def test_load_graph_raises_with_every_problem(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "causes:\n  c: {title: C, produces: {x: 0.5}}\n")
    _write(tmp_path, "b.yaml", "[1, 2]\n")
    with pytest.raises(GraphLoadError) as info:
        load_graph([tmp_path])
    assert info.value.problems == [
        Problem(str(tmp_path / "a.yaml"), 2, 28, "c", "produces unknown symptom 'x'"),
        Problem(str(tmp_path / "b.yaml"), 1, 1, "-", "a graph file is a mapping of sections"),
    ]
    assert str(info.value) == f"{tmp_path}/a.yaml:2:28 c: produces unknown symptom 'x' (and 1 more)"


def test_missing_file_and_empty_directory(tmp_path: Path) -> None:
    assert compile_graph([tmp_path])[1] == [Problem(str(tmp_path), 1, 1, "-", "no graph files found")]
    missing = tmp_path / "none.yaml"
    [problem] = compile_graph([missing])[1]
    assert problem.file == str(missing) and problem.message.startswith("cannot read:")


def test_empty_file_is_an_empty_graph(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "# nothing yet\n")
    graph = load_graph([tmp_path])
    assert graph.cause_ids() == [] and graph.metric_ids() == []


def test_a_cause_known_only_through_its_consequences_is_safe_to_query(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BASE + "  root: {title: Root, leads_to: {c: 0.5}}\n")
    graph = load_graph([tmp_path])
    # c: precision 0.5 (weight of `slow`), recall 1; root produces nothing itself, so recall 0
    [(cause, score)] = graph.candidate_causes({"slow"})
    assert cause == "c"
    assert score == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    [ranked] = graph.rank({"root": 0.6}, [])
    assert (ranked.cause, ranked.score, ranked.missing) == ("root", 0.3, 0.0)
    assert graph.best_checks(["root", "c"]) == []


def test_shares_are_checked_where_they_are_written(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BASE)
    _write(
        tmp_path,
        "b.yaml",
        """\
metrics:
  io: {unit: ms}
  good: {unit: percent, share: {part: io, of: [lat, io]}}
  nested: {unit: percent, share: {part: good, of: [good, io]}}
  stray: {unit: ms, share: {part: slow, of: [lat, ghost]}}
""",
    )
    assert _problems(tmp_path) == [
        "b.yaml:4:35 nested: share of 'good', itself a share",
        "b.yaml:4:52 nested: share of 'good', itself a share",
        "b.yaml:5:11 stray: a share is in percent, not 'ms'",
        "b.yaml:5:29 stray: share of unknown metric 'slow'",
        "b.yaml:5:29 stray: share part 'slow' is not among of",
        "b.yaml:5:51 stray: share of unknown metric 'ghost'",
    ]
    graph, _ = compile_graph([tmp_path])
    assert [(s.metric, s.part, s.of) for s in graph.shares()] == [
        ("good", "io", ("lat", "io")),
        ("nested", "good", ("good", "io")),
        ("stray", "slow", ("lat", "ghost")),
    ]
