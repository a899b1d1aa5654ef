from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from models import Fact
from sleuth.history.index import SignatureIndex
from sleuth.history.records import Confirmed
from sleuth.history.signature import cosine, signature
from sleuth.history.similar import Excluding, PastIncidents

METRICS = [f"m{i}" for i in range(12)]
signatures = st.dictionaries(
    st.sampled_from(METRICS), st.floats(min_value=-5, max_value=5).filter(lambda v: abs(v) > 0.05), max_size=8
)


@settings(max_examples=60, deadline=None)
@given(
    stored=st.lists(st.tuples(st.sampled_from(["mysql", "postgres"]), signatures), min_size=1, max_size=30),
    query=signatures,
    removed=st.sets(st.integers(min_value=0, max_value=29)),
    k=st.integers(min_value=1, max_value=8),
)
def test_search_is_exact_cosine_nearest_neighbours_of_the_engine(
    stored: list[tuple[str, dict[str, float]]], query: dict[str, float], removed: set[int], k: int
) -> None:
    index = SignatureIndex()
    for record, (engine, sig) in enumerate(stored):
        index.add(record, engine, sig)
    for record in removed:
        index.remove(record)
    kept = {r: s for r, (e, s) in enumerate(stored) if e == "mysql" and r not in removed and s}
    found = index.search(query, "mysql", k)
    expected = sorted(
        ((r, cosine(query, s)) for r, s in kept.items() if cosine(query, s) > 1e-6), key=lambda p: -p[1]
    )[:k]
    assert len(found) == len(expected)
    assert all(math.isclose(a, b, abs_tol=1e-3) for (_, a), (_, b) in zip(found, expected, strict=True))
    assert all(math.isclose(cosine(query, kept[r]), s, abs_tol=1e-3) for r, s in found)


def test_a_record_added_again_replaces_its_row_and_exclusion_hides_it() -> None:
    index = SignatureIndex()
    index.add(1, "mysql", {"a": 1.0})
    index.add(2, "mysql", {"b": 1.0})
    index.add(1, "mysql", {"b": 2.0})
    assert len(index) == 2
    assert index.search({"b": 1.0}, "mysql", 5) == [(1, 1.0), (2, 1.0)]
    assert index.search({"b": 1.0}, "mysql", 5, exclude=[1]) == [(2, 1.0)]
    assert index.search({"b": 1.0}, "postgres", 5) == []


def test_a_signature_keeps_what_moved_more_than_one_sigma_signed_and_damped() -> None:
    facts = [
        Fact(kind="signal", name="latency", attrs={"score": 12.0}),
        Fact(kind="signal", name="commits", attrs={"score": -3.0}),
        Fact(kind="signal", name="cpu", attrs={"score": 0.4}),
        Fact(kind="observation", name="top_sql", attrs={"score": 9.0}),
    ]
    assert signature(facts) == {"commits": round(-math.log1p(3.0), 4), "latency": round(math.log1p(12.0), 4)}


def test_past_incidents_show_only_confirmed_ones_more_alike_than_not() -> None:
    past = PastIncidents(
        [
            Confirmed(
                1,
                "mysql",
                "lock-1",
                {"row_lock_waits": 2.0, "latency": 1.0},
                ("lock_contention",),
                "",
                0,
                None,
            ),
            Confirmed(
                2, "mysql", "cpu-1", {"cpu_user": 2.0, "latency": 1.0}, ("cpu_saturation",), "", 0, None
            ),
            Confirmed(3, "mysql", "lock-2", {"row_lock_waits": 2.0}, (), "", 0, None),
        ]
    )
    assert len(past) == 2
    found = past.search({"row_lock_waits": 2.0, "latency": 1.2}, "mysql", 5)
    assert [(m.record, m.causes) for m in found] == [(1, ["lock_contention"])]
    facts = [Fact(kind="signal", name="row_lock_waits", attrs={"score": math.expm1(2.0)})]
    assert [m.record for m in Excluding(past, [1]).similar(facts, "mysql", 5)] == []
    past.update([], [1])
    assert past.search({"row_lock_waits": 2.0}, "mysql", 5) == []
