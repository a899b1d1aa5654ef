"""``kg check``'s extra rules: complete causes, observable symptoms, rule packs that match the graph."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from knowledge_graph import check_graph, load_graph
from rules.book import check, check_references
from tests.knowledge_graph.conftest import CORE, TINY

INCOMPLETE = """\
metrics:
  lat: {unit: ms, aliases: [Latency]}
symptoms:
  slow: {title: Slow, observed_by: [{metric: lat, direction: up}]}
  hidden: {title: Hidden}
  orphan: {title: Orphan, observed_by: [{metric: lat, direction: down}]}
causes:
  c: {title: C, produces: {slow: 0.5, hidden: 0.5}}
"""

PACK = """\
pack: demo
rules:
  - id: r_ok
    title: fine
    when:
      all:
        - {signal: m_lat, direction: up}
    then: {cause: c_lock}
    certainty: 0.5
  - id: r_bad
    title: broken references
    when:
      any:
        - signal: Lat
        - signal: nowhere
      none:
        - {fact: something}
    then:
      cause: c_missing
    certainty: 0.5
  - id: r_fact
    title: derived fact
    when: {all: [{signal: m_cpu}]}
    then: {fact: cpu_hot}
    certainty: 0.5
"""


def _strip(tmp_path: Path, problems: Sequence[object]) -> list[str]:
    return [str(p).replace(str(tmp_path) + "/", "") for p in problems]


def test_incomplete_graph(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(INCOMPLETE, encoding="utf-8")
    _, problems = check_graph([tmp_path])
    assert _strip(tmp_path, problems) == [
        "g.yaml:5:3 hidden: symptom is observed by no metric, shown by no fact and revealed by no check",
        "g.yaml:6:3 orphan: symptom is produced by no cause",
        "g.yaml:8:3 c: cause has no check that can show any of its symptoms",
        "g.yaml:8:3 c: cause has no remediation",
    ]


def test_the_fixture_graphs_are_clean() -> None:
    assert check_graph([TINY])[1] == []
    assert check_graph([CORE])[1] == []


REFERENCES = [
    "broken.yaml:2:1 -: YAML syntax: did not find expected node content",
    "demo.yaml:14:19 r_bad: unknown metric 'Lat' (a vendor name of 'm_lat': rules test canonical metrics)",
    "demo.yaml:15:19 r_bad: unknown metric 'nowhere' (not in the knowledge graph)",
    "demo.yaml:19:14 r_bad: unknown cause 'c_missing' (not in the knowledge graph)",
]


def _packs(tmp_path: Path) -> Path:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "demo.yaml").write_text(PACK, encoding="utf-8")
    (packs / "broken.yaml").write_text("rules: [\n", encoding="utf-8")
    return packs


def test_rule_pack_references(tmp_path: Path) -> None:
    """What ``kg check --rules`` adds: the packs' own breakage and their references to the graph."""
    packs = _packs(tmp_path)
    assert _strip(packs, check_references([packs], load_graph([TINY]))) == REFERENCES


def test_rules_lint_reports_the_same_references_in_the_same_words(tmp_path: Path) -> None:
    """One checker: lint finds what ``kg check --rules`` finds, plus its own (the dangling fact)."""
    packs = _packs(tmp_path)
    _, linted = check([packs], load_graph([TINY]))
    assert _strip(packs, linted) == [
        *REFERENCES[:3],
        "demo.yaml:17:18 r_bad: fact 'something' is concluded by no rule",
        REFERENCES[3],
    ]
