"""Invariants, by hypothesis: accepted graphs answer every query; ranking ignores fact order."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge_graph import EXPORT_FORMATS as FORMATS
from knowledge_graph import RISK_ORDER, KnowledgeGraph, check_graph, load_default_graph, load_graph
from knowledge_graph import export_graph as export
from knowledge_graph import graph_stats as stats
from models import Fact

DIRECTIONS = ("up", "down", "none")
weights = st.floats(min_value=0.01, max_value=1.0, allow_nan=False)


@st.composite
def graph_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A random graph that is complete by construction (what `kg check` accepts)."""
    n_metrics = draw(st.integers(1, 5))
    metrics = {
        f"m{i}": {
            "unit": "u",
            "aggregate": draw(st.sampled_from(["mean", "sum", "max"])),
            "aliases": [f"Vendor{i}", f"v{i} (core #*)"],
        }
        for i in range(n_metrics)
    }
    n_symptoms = draw(st.integers(2, 6))
    symptoms: dict[str, dict[str, Any]] = {
        f"s{i}": {
            "title": f"S{i}",
            "observed_by": [
                {
                    "metric": f"m{draw(st.integers(0, n_metrics - 1))}",
                    "direction": draw(st.sampled_from(["up", "down"])),
                }
            ],
        }
        for i in range(n_symptoms)
    }
    n_causes = draw(st.integers(1, 5))
    causes: dict[str, Any] = {}
    for i in range(n_causes):
        chosen = draw(st.lists(st.integers(0, n_symptoms - 1), min_size=2, max_size=n_symptoms, unique=True))
        leads = draw(st.lists(st.integers(0, n_causes - 1), max_size=2, unique=True))
        causes[f"c{i}"] = {
            "title": f"C{i}",
            "produces": {f"s{j}": draw(weights) for j in chosen},
            "leads_to": {f"c{j}": draw(weights) for j in leads if j != i},
        }
    produced = {s for c in causes.values() for s in c["produces"]}
    symptoms = {k: v for k, v in symptoms.items() if k in produced}
    used_metrics = sorted({o["metric"] for s in symptoms.values() for o in s["observed_by"]})
    checks = {
        f"k_{m}": {
            "title": f"K {m}",
            "tool": draw(st.sampled_from(["compare_window", "metric_summary"])),
            "args": {"metric": m},
        }
        for m in used_metrics
    }
    risks = st.sampled_from(["low", "medium", "high"])
    remediations = {
        f"r{i}": {"title": f"R{i}", "risk": draw(risks), "mitigates": [f"c{i}"]} for i in range(n_causes)
    }
    return {
        "metrics": metrics,
        "symptoms": symptoms,
        "causes": causes,
        "checks": checks,
        "remediations": remediations,
    }


def _break(spec: dict[str, Any], how: str) -> None:
    """One authoring mistake `kg check` must catch."""
    first_cause = next(iter(spec["causes"].values()))
    if how == "dangling_symptom":
        first_cause["produces"]["no_such_symptom"] = 0.5
    elif how == "one_symptom":
        first_cause["produces"] = dict(list(first_cause["produces"].items())[:1])
    elif how == "no_remediation":
        spec["remediations"].pop("r0")
    elif how == "unknown_check_metric":
        spec["checks"]["k_bad"] = {"title": "bad", "tool": "compare_window", "args": {"metric": "nope"}}
    elif how == "duplicate_alias":
        spec["metrics"]["m0"]["aliases"].append("Vendor0")
    elif how == "bad_weight":
        first_cause["produces"][next(iter(first_cause["produces"]))] = 1.5


def _facts(metric_names: list[str]) -> st.SearchStrategy[list[Fact]]:
    fact = st.builds(
        lambda name, direction, conf: Fact(
            kind="signal", name=name, attrs={"direction": direction, "confidence": conf}
        ),
        st.sampled_from(metric_names),
        st.sampled_from(DIRECTIONS),
        st.floats(0.0, 1.0),
    )
    return st.lists(fact, max_size=8)


BREAKAGES = (
    "dangling_symptom",
    "one_symptom",
    "no_remediation",
    "unknown_check_metric",
    "duplicate_alias",
    "bad_weight",
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=graph_specs(), breakage=st.sampled_from((None, *BREAKAGES)), data=st.data())
def test_accepted_graphs_answer_every_query(
    spec: dict[str, Any], breakage: str | None, data: st.DataObject
) -> None:
    if breakage:
        _break(spec, breakage)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        graph, problems = check_graph([path])
    if breakage:
        # every mistake is caught, and located on a real line of the file
        assert problems
        assert all(p.file == str(path) and p.line >= 1 for p in problems)
        return
    assert problems == []
    causes = graph.cause_ids()
    metric_names = [*graph.metric_ids(), "Vendor0", "v0 (core #7)", "unknown"]
    facts = data.draw(_facts(metric_names))
    certainties = data.draw(st.dictionaries(st.sampled_from(causes), st.floats(0.0, 1.0)))

    observed = graph.observed_symptoms(facts)
    assert observed <= set(graph.node_ids("symptom"))
    ranked = graph.rank(certainties, facts)
    assert sorted(r.cause for r in ranked) == sorted(certainties)
    for r in ranked:
        assert 0.0 <= r.score <= r.certainty + 1e-12
        assert 0.0 <= r.coverage <= 1.0 and 0.0 <= r.missing <= 1.0
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    for cause, score in graph.candidate_causes(observed):
        assert graph.has_cause(cause) and 0.0 < score <= 1.0
    candidates = data.draw(st.lists(st.sampled_from(causes), unique=True))
    for check in graph.best_checks(candidates, k=3):
        assert 0.0 <= check.gain <= math.log2(max(2, len(candidates))) + 1e-9
        assert check.tool in {"compare_window", "metric_summary"}
    for cause in causes:
        risks = [RISK_ORDER[r.risk] for r in graph.remediations(cause)]
        assert risks == sorted(risks) and risks
        assert graph.checks_for(cause)
    for node in graph.node_ids():
        for depth in (0, 1, 2):
            assert graph.neighbourhood_text(node, depth).startswith(f"{graph.node_type(node)} {node}: ")
    for metric in graph.metric_ids():
        assert graph.metric_info(metric).id == metric
        assert graph.resolve_metric(metric) == metric
    for fmt in FORMATS:
        assert export(graph, fmt)
    assert sum(stats(graph)["nodes"].values()) == len(graph.node_ids())


_KG = load_default_graph()


_observations = st.lists(
    st.builds(
        lambda name, attrs, certainty: Fact(kind="observation", name=name, attrs=attrs, certainty=certainty),
        st.sampled_from(["lock_waits", "top_sql", "event", "blocking_session_found", "config_changed"]),
        st.fixed_dictionaries(
            {},
            optional={
                "blockers": st.floats(0, 3),
                "sessions_waiting": st.floats(0, 10),
                "objects": st.floats(0, 3),
                "share_of_time": st.floats(0, 1),
                "rank": st.sampled_from([1.0, 2.0]),
                "kind": st.sampled_from(["config_change", "failover", "backup"]),
                "near_window": st.booleans(),
            },
        ),
        st.floats(0.0, 1.0),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(
    facts=st.builds(
        lambda signals, observations: [*signals, *observations],
        _facts([*sorted(_KG.metric_ids()), "Innodb_row_lock_waits", "cpu_usr (core #2)"]),
        _observations,
    ),
    certainties=st.dictionaries(st.sampled_from(_KG.cause_ids()), st.floats(0.0, 1.0), max_size=8),
    data=st.data(),
)
def test_ranking_is_invariant_to_fact_order(
    facts: list[Fact], certainties: dict[str, float], data: st.DataObject
) -> None:
    kg: KnowledgeGraph = _KG
    shuffled = data.draw(st.permutations(facts))
    reordered_certainties = dict(reversed(list(certainties.items())))
    assert kg.rank(certainties, facts) == kg.rank(reordered_certainties, shuffled)
    assert kg.observed_symptoms(facts) == kg.observed_symptoms(shuffled)


def _graph_with_alias(pattern: str) -> KnowledgeGraph:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.yaml"
        # a JSON string is a YAML string, whatever characters the pattern holds
        path.write_text(f"metrics:\n  m: {{unit: u, aliases: [{json.dumps(pattern)}]}}\n", encoding="utf-8")
        return load_graph([path])


_GLOB_TEXT = st.text(alphabet="ab.()[]#%{}+? ", max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(_GLOB_TEXT, min_size=2, max_size=4), st.data())
def test_a_glob_alias_star_matches_any_run(parts: list[str], data: st.DataObject) -> None:
    fillers = [data.draw(st.text(max_size=4)) for _ in parts[1:]]
    name = parts[0] + "".join(f + p for f, p in zip(fillers, parts[1:], strict=True))
    assert _graph_with_alias("*".join(parts)).resolve_metric(name) == "m"


@settings(max_examples=60, deadline=None)
@given(_GLOB_TEXT.filter(bool), st.text(max_size=4), st.data())
def test_the_rest_of_a_glob_alias_is_literal(prefix: str, filler: str, data: st.DataObject) -> None:
    """Regex and fnmatch syntax (``.``, ``[b]``, ``?``) in a vendor name stands for itself."""
    graph = _graph_with_alias(prefix + "*")
    assert graph.resolve_metric(prefix + filler) == "m"
    i = data.draw(st.integers(0, len(prefix) - 1))
    assert graph.resolve_metric(prefix[:i] + "z" + prefix[i + 1 :] + filler) is None
