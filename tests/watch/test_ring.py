"""The ring: samples come back exactly as packed, it stays within its span and its bytes, texts stay apart."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from lab.replay import read_recording
from sleuth.watch.ring import THIN, Packer, Ring, Texts, unpack
from sources.live.sample import Sample, StatementReading
from tests.watch import RECORDINGS

names = st.text(alphabet="abcdefghij_.", min_size=1, max_size=12)
values = st.floats(allow_nan=False, allow_infinity=False, width=64)
readings = st.dictionaries(
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=8),
    st.dictionaries(st.sampled_from(["calls", "total_time_ms", "rows"]), values, min_size=1),
    max_size=6,
)


@given(st.dictionaries(names, values), st.dictionaries(names, values), st.none() | readings)
def test_a_sample_comes_back_as_it_was_packed(
    counters: dict[str, float], gauges: dict[str, float], statements: dict[str, dict[str, float]] | None
) -> None:
    sample = Sample(
        time=12.5,
        counters=counters,
        gauges=gauges,
        statements=None if statements is None else {d: StatementReading(c) for d, c in statements.items()},
    )
    back = unpack(Packer().pack(sample))
    assert back.time == 12.5 and back.counters == counters and back.gauges == gauges
    if statements is None:
        assert back.statements is None
    else:
        assert back.statements is not None
        assert {d: r.counters for d, r in back.statements.items()} == statements


def test_consecutive_samples_share_their_names() -> None:
    packer = Packer()
    a = packer.pack(Sample(time=1, counters={"x": 1.0, "y": 2.0}, gauges={"g": 1.0}))
    b = packer.pack(Sample(time=2, counters={"x": 3.0, "y": 4.0}, gauges={"g": 2.0}))
    assert a.counter_names is b.counter_names and a.gauge_names is b.gauge_names


def _statement_sample(t: float) -> Sample:
    return Sample(time=t, counters={"c": t}, statements={"d1": StatementReading({"calls": t}, "SELECT 1")})


def test_the_ring_keeps_its_span_and_thins_statements_beyond_the_view() -> None:
    ring = Ring(span_s=100.0, interval_s=1.0, full=10)
    packer = Packer()
    for t in range(300):
        ring.add(packer.pack(_statement_sample(float(t))))
    kept = list(ring)
    assert kept[0].time == 199.0 and kept[-1].time == 299.0 and len(kept) == 101
    recent = kept[-10:]
    assert all(p.statements is not None for p in recent)
    older = [p for p in kept[:-10] if p.statements is not None]
    # one in THIN of the older samples keeps its statements: the baseline's level, at a tenth of the bytes
    assert len(older) in (len(kept[:-10]) // THIN, len(kept[:-10]) // THIN + 1)
    assert ring.nbytes() < 101 * 8 * 3


samples = st.builds(
    Sample,
    time=st.just(0.0),
    counters=st.dictionaries(names, values),
    gauges=st.dictionaries(names, values),
    statements=st.none() | readings.map(lambda r: {d: StatementReading(c) for d, c in r.items()}),
)


@given(st.lists(samples, min_size=1, max_size=30))
def test_samples_past_the_view_come_back_exactly_as_they_were_kept(taken: list[Sample]) -> None:
    ring = Ring(span_s=1000.0, interval_s=1.0, full=2)
    packer = Packer()
    kept = []
    for t, sample in enumerate(taken):
        packed = packer.pack(replace(sample, time=float(t)))
        ring.add(packed)
        kept.append(packed)
    for before, after in zip(kept, ring.since(0.0), strict=True):
        back, was = unpack(after), unpack(before)
        assert (back.time, back.counters, back.gauges) == (was.time, was.counters, was.gauges)
        if back.statements is not None:  # past the view one sample in THIN keeps its statements
            assert back.statements == was.statements


def test_a_steady_server_past_the_view_takes_a_fraction_of_its_bytes() -> None:
    # the lab MariaDB under the steady workload: ~570 counters and gauges a sample, most of which
    # repeat or barely move from one sample to the next
    recording = read_recording(RECORDINGS / "steady-mariadb.jsonl.gz")
    ring = Ring(span_s=1000.0, interval_s=1.0, full=10)
    packer = Packer()
    raw = 0
    for sample in recording.samples:
        packed = packer.pack(replace(sample, statements=None))
        raw += packed.nbytes()
        ring.add(packed)
    assert ring.nbytes() < raw / 4


def test_texts_restore_a_slice_that_starts_after_a_statement_was_first_seen() -> None:
    texts = Texts()
    packer = Packer()
    first = _statement_sample(1.0)
    texts.learn(first)
    later = packer.pack(Sample(time=2.0, statements={"d1": StatementReading({"calls": 5.0})}))
    assert unpack(later).statements == {"d1": StatementReading({"calls": 5.0})}
    restored = unpack(later, texts).statements
    assert restored is not None and restored["d1"].text == "SELECT 1"


def test_texts_forget_the_least_recently_seen_past_their_limit() -> None:
    texts = Texts(limit=2)
    for digest in ("a", "b", "c"):
        texts.learn(Sample(time=0, statements={digest: StatementReading({}, f"SELECT '{digest}'")}))
    assert texts.get("a") is None and texts.get("c") == ("SELECT 'c'", None)
