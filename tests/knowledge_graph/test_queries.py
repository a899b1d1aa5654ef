"""Queries on the tiny graph, whose answers were worked out by hand, and on the shipped graph."""

from __future__ import annotations

import math

import pytest

from knowledge_graph import Check, KnowledgeGraph, RankedCause
from models import Fact, Remediation
from tests.knowledge_graph.conftest import signal


def test_observed_symptoms_need_direction_and_confidence(tiny: KnowledgeGraph) -> None:
    facts = [
        signal("m_lat", "up", 0.9),
        signal("lock (core #2)", "up", 0.5),  # vendor name through a glob alias; 0.5 counts
        signal("m_cpu", "down", 0.9),  # wrong direction
        signal("m_io", "up", 0.49),  # too unsure
    ]
    assert tiny.observed_symptoms(facts) == {"s_lat", "s_locks"}


def test_observation_facts_named_after_a_symptom_count(tiny: KnowledgeGraph) -> None:
    facts = [
        Fact(kind="observation", name="s_seen", certainty=0.7, source="s1"),
        Fact(kind="observation", name="not_a_symptom", certainty=1.0, source="s1"),
        Fact(kind="derived", name="s_io", certainty=0.3),
    ]
    assert tiny.observed_symptoms(facts) == {"s_seen"}


def test_signal_without_confidence_uses_fact_certainty(tiny: KnowledgeGraph) -> None:
    shown = Fact(kind="signal", name="m_lat", attrs={"direction": "up"}, certainty=0.6)
    unsure = Fact(kind="signal", name="m_cpu", attrs={"direction": "up"}, certainty=0.4)
    assert tiny.observed_symptoms([shown, unsure]) == {"s_lat"}


def test_rank_single_cause(tiny: KnowledgeGraph) -> None:
    facts = [signal("m_lat", "up", 0.9), signal("m_locks", "up", 0.8), signal("m_cpu", "none", 0.1)]
    ranked = tiny.rank({"c_lock": 0.8, "c_cpu": 0.6}, facts)
    # c_lock explains both observed symptoms: coverage (0.8 + 0.9) / 2, nothing measurable missing.
    # c_cpu explains s_lat only (0.6 / 2) and its s_cpu was measurable but absent: 0.9 / 1.5 missing.
    assert [r.cause for r in ranked] == ["c_lock", "c_cpu"]
    lock, cpu = ranked
    assert lock.coverage == pytest.approx(0.85)
    assert lock.missing == 0.0
    assert lock.score == pytest.approx(0.8 * (0.5 + 0.5 * 0.85))
    assert cpu.coverage == pytest.approx(0.3)
    assert cpu.missing == pytest.approx(0.6)
    assert (lock.absent, cpu.absent) == (frozenset(), frozenset({"s_cpu"}))
    assert cpu.score == pytest.approx(0.6 * 0.65 * 0.7)
    assert (lock.primary, lock.unique) == (True, frozenset({"s_locks"}))
    assert (cpu.primary, cpu.unique) == (False, frozenset())


def test_rank_keeps_both_causes_of_a_compound_incident(tiny: KnowledgeGraph) -> None:
    facts = [signal("m_lat", "up", 0.9), signal("m_locks", "up", 0.8), signal("m_cpu", "up", 0.9)]
    ranked = tiny.rank({"c_lock": 0.8, "c_cpu": 0.6}, facts)
    assert [(r.cause, r.primary, sorted(r.unique)) for r in ranked] == [
        ("c_lock", True, ["s_locks"]),
        ("c_cpu", True, ["s_cpu"]),
    ]
    # c_lock also explains s_cpu weakly through leads_to c_cpu (0.2 × 0.9); uniqueness uses direct edges
    assert ranked[0].coverage == pytest.approx((0.8 + 0.9 + 0.18) / 3)
    assert ranked[1].score == pytest.approx(0.6 * (0.5 + 0.5 * 0.5))


def test_root_cause_gets_credit_for_its_consequences(tiny: KnowledgeGraph) -> None:
    # only s_cpu shows: c_cpu explains it directly (precision 0.9, recall 0.9 / 1.5); c_lock only
    # through its consequence, and none of its own symptoms showed (recall 0), so it is no candidate
    precision, recall = 0.9, 0.9 / 1.5
    [(cause, score)] = tiny.candidate_causes({"s_cpu"})
    assert cause == "c_cpu"
    assert score == pytest.approx(2 * precision * recall / (precision + recall))
    ranked = tiny.rank({"c_lock": 0.5}, [signal("m_cpu", "up", 0.9)])
    assert ranked[0].coverage == pytest.approx(0.18)
    assert ranked[0].explained == frozenset()


def test_unmeasured_symptoms_are_no_evidence_against(tiny: KnowledgeGraph) -> None:
    # m_io is not in the incident, so c_io's missing s_io cannot count against it.
    [io] = tiny.rank({"c_io": 0.5}, [signal("m_lat", "up", 0.9)])
    assert io == RankedCause(
        "c_io", 0.5, 0.5, 0.5 * 0.75, 0.0, frozenset({"s_lat"}), frozenset({"s_lat"}), True
    )


def test_rank_without_signals_orders_by_certainty(tiny: KnowledgeGraph) -> None:
    ranked = tiny.rank({"c_io": 0.4, "c_cpu": 0.9, "unknown_cause": 0.7}, [])
    assert [(r.cause, r.score) for r in ranked] == [("c_cpu", 0.45), ("unknown_cause", 0.35), ("c_io", 0.2)]


def test_rank_clamps_certainty(tiny: KnowledgeGraph) -> None:
    ranked = tiny.rank({"c_io": 1.7, "c_cpu": -0.2}, [])
    assert [(r.cause, r.certainty) for r in ranked] == [("c_io", 1.0), ("c_cpu", 0.0)]


def test_candidate_causes(tiny: KnowledgeGraph) -> None:
    ranked = tiny.candidate_causes({"s_lat", "s_locks"})
    # F1 of precision (explained weight / observed count) and recall (explained / produced weight)
    lock_p, lock_r = 1.7 / 2, 1.7 / 2.2
    cpu_p, cpu_r = 0.6 / 2, 0.6 / 1.5
    io_p, io_r = 0.5 / 2, 0.5 / 1.3
    assert [c for c, _ in ranked] == ["c_lock", "c_cpu", "c_io"]
    assert [s for _, s in ranked] == pytest.approx(
        [2 * p * r / (p + r) for p, r in ((lock_p, lock_r), (cpu_p, cpu_r), (io_p, io_r))]
    )
    assert tiny.candidate_causes(set()) == []
    assert tiny.candidate_causes({"no_such_symptom"}) == []


def _gain(q: list[float]) -> float:
    def h(ws: list[float]) -> float:
        t = sum(ws)
        return -sum(w / t * math.log2(w / t) for w in ws if w > 0)

    p = sum(q) / len(q)
    return math.log2(len(q)) - p * h(q) - (1 - p) * h([1 - x for x in q])


def test_best_checks_by_information_gain(tiny: KnowledgeGraph) -> None:
    checks = tiny.best_checks(["c_lock", "c_cpu", "c_io"], k=4)
    assert [c.id for c in checks] == ["k_locks", "k_cpu", "k_seen", "k_lat"]
    assert checks[1] == Check("k_cpu", "CPU?", "compare_window", {"metric": "m_cpu"}, "m_cpu", checks[1].gain)
    # candidates sorted: c_cpu, c_io, c_lock; false-positive floor 0.05 for causes the check cannot show;
    # c_lock may show s_cpu through leads_to c_cpu (0.2 × 0.9), which makes k_cpu a worse separator
    assert checks[0].gain == pytest.approx(_gain([0.05, 0.05, 0.9]))
    assert checks[1].gain == pytest.approx(_gain([0.9, 0.05, 0.18]))
    assert checks[2].gain == pytest.approx(_gain([0.05, 0.05, 0.5]))
    assert checks[3].gain == pytest.approx(_gain([0.6, 0.5, 0.8]))
    assert checks[2].metric is None


def test_best_checks_with_a_prior(tiny: KnowledgeGraph) -> None:
    # c_lock is nearly settled: separating c_cpu from c_io matters more than confirming c_lock
    checks = tiny.best_checks({"c_lock": 0.05, "c_cpu": 0.5, "c_io": 0.5, "ghost": 0.9, "c_none": 0.0}, k=2)
    assert [c.id for c in checks] == ["k_cpu", "k_locks"]
    p = {"c_cpu": 0.5 / 1.05, "c_io": 0.5 / 1.05, "c_lock": 0.05 / 1.05}
    q = {"c_cpu": 0.9, "c_io": 0.05, "c_lock": 0.18}

    def h(ws: list[float]) -> float:
        t = sum(ws)
        return -sum(w / t * math.log2(w / t) for w in ws if w > 0)

    pos = [p[c] * q[c] for c in p]
    neg = [p[c] * (1 - q[c]) for c in p]
    expected = h(list(p.values())) - sum(pos) * h(pos) - sum(neg) * h(neg)
    assert checks[0].gain == pytest.approx(expected)
    uniform = tiny.best_checks(["c_lock", "c_cpu", "c_io"], k=4)
    assert tiny.best_checks(dict.fromkeys(["c_lock", "c_cpu", "c_io"], 2.0), k=4) == uniform


def test_best_checks_skips_done_and_limits(tiny: KnowledgeGraph) -> None:
    checks = tiny.best_checks(["c_lock", "c_cpu", "c_io"], done={"k_locks", "k_seen"}, k=2)
    assert [c.id for c in checks] == ["k_cpu", "k_lat"]
    assert tiny.best_checks(["c_lock", "c_cpu"], k=0) == []


def test_best_checks_for_one_candidate_confirm_it(tiny: KnowledgeGraph) -> None:
    checks = tiny.best_checks(["c_lock", "not_a_cause"], k=5)
    assert [(c.id, c.gain) for c in checks] == [
        ("k_locks", 0.0),
        ("k_lat", 0.0),
        ("k_seen", 0.0),
        ("k_cpu", 0.0),
    ]
    assert tiny.best_checks([], k=3) == []


def test_remediations_low_risk_first(tiny: KnowledgeGraph) -> None:
    assert tiny.remediations("c_lock") == [
        Remediation(id="r_lo", title="Safe fix", risk="low"),
        Remediation(id="r_hi", title="Risky fix", risk="high"),
    ]
    assert tiny.remediations("no_such_cause") == []


def test_titles_and_nodes(tiny: KnowledgeGraph) -> None:
    assert tiny.cause_ids() == ["c_cpu", "c_io", "c_lock"]
    assert tiny.has_cause("c_lock") and not tiny.has_cause("s_lat")
    assert tiny.title("c_lock") == "Lock cause"
    assert tiny.title("m_lat") == "m_lat"  # untitled metric falls back to its id
    assert tiny.title("nowhere") == "nowhere"
    assert tiny.node_type("k_seen") == "check"
    assert tiny.symptoms_of("c_cpu") == {"s_lat": 0.6, "s_cpu": 0.9}
    assert [c.id for c in tiny.checks_for("c_lock")] == ["k_locks", "k_lat", "k_seen"]
    with pytest.raises(KeyError, match="unknown node 'nowhere'"):
        tiny.node_type("nowhere")


def test_neighbourhood_text(tiny: KnowledgeGraph) -> None:
    assert tiny.neighbourhood_text("c_lock") == "\n".join(
        [
            "cause c_lock: Lock cause",
            "  checks: k_locks, k_lat, k_seen",
            "  -> produces (0.8) symptom s_lat: Latency up",
            "  -> produces (0.9) symptom s_locks: Locks up",
            "  -> produces (0.5) symptom s_seen: Blocker seen",
            "  -> leads_to (0.2) cause c_cpu: CPU cause",
            "  -> affects component comp: Component",
            "  <- mitigates (risk high) remediation r_hi: Risky fix",
            "  <- mitigates (risk low) remediation r_lo: Safe fix",
        ]
    )


def test_neighbourhood_text_depth_two_nests_under_first_parent(tiny: KnowledgeGraph) -> None:
    lines = tiny.neighbourhood_text("m_io", depth=2).splitlines()
    assert lines == [
        "metric m_io: m_io",
        "  <- observed_by (up) symptom s_io: IO up",
        "    <- produces (0.8) cause c_io: IO cause",
    ]
    assert tiny.neighbourhood_text("m_io", depth=0) == "metric m_io: m_io"
    with pytest.raises(KeyError):
        tiny.neighbourhood_text("nowhere")


def test_graph_view_is_read_only(tiny: KnowledgeGraph) -> None:
    import networkx as nx

    view = tiny.graph
    with pytest.raises(nx.NetworkXError):
        view.add_node("x")


def test_graph_survives_pickling_for_worker_processes(kg: KnowledgeGraph) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(kg))
    assert copy.cause_ids() == kg.cause_ids()
    assert copy.resolve_metric("cpu_usr (core #2)") == "cpu_user"
    assert copy.neighbourhood_text("hot_rows") == kg.neighbourhood_text("hot_rows")
