"""``kg check``'s extra rules: complete causes, observable symptoms, rule packs that match the graph."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from knowledge_graph._validate import check_graph
from tests.knowledge_graph.conftest import TINY

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
        "g.yaml:5: symptom 'hidden' is observed by no metric, shown by no fact and revealed by no check",
        "g.yaml:6: symptom 'orphan' is produced by no cause",
        "g.yaml:8: cause 'c' has no check that can show any of its symptoms",
        "g.yaml:8: cause 'c' has no remediation",
    ]


def test_tiny_graph_is_clean() -> None:
    _, problems = check_graph([TINY])
    assert problems == []


def test_rule_pack_references(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "demo.yaml").write_text(PACK, encoding="utf-8")
    (packs / "broken.yaml").write_text("rules: [\n", encoding="utf-8")
    _, problems = check_graph([TINY], [packs])
    assert _strip(packs, problems) == [
        "broken.yaml:2: YAML syntax: did not find expected node content",
        "demo.yaml:14: r_bad: signal 'Lat' is a vendor alias; use the canonical metric 'm_lat'",
        "demo.yaml:15: r_bad: signal 'nowhere' is not a metric in the graph",
        "demo.yaml:19: r_bad: concludes cause 'c_missing', not in the graph",
    ]
