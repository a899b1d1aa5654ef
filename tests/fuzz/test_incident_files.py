"""Hostile incident files through every command that reads one: validate, summary, diagnose, explain.

Each input goes in a batch with a good file after it: the bad one must be
refused in one line naming the file and the place, and the good one must still
be validated, summarised or diagnosed.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.cli import check, is_clear, lines_about, run
from tests.fuzz.conftest import FUZZ
from tests.fuzz.hostile import HOSTILE_VALUES, encoded, mutated, nested, to_json

_N = 20
GOOD: dict[str, Any] = {
    "id": "good-1",
    "title": "CPU climbs",
    "instance": {"engine": "postgres", "version": "15.4", "vcpu": 2},
    "metrics": [
        {"name": "cpu_user", "unit": "%", "timestamps": list(range(_N)), "values": [10.0] * 12 + [90.0] * 8},
        {"name": "latency", "unit": "ms", "timestamps": list(range(_N)), "values": [5.0] * 12 + [50.0] * 8},
        {
            "name": "threads_running",
            "timestamps": list(range(_N)),
            "values": [2.0] * 12 + [None] * 2 + [9.0] * 6,
        },
    ],
    "window": {"start": 12, "end": 19},
    "events": [{"time": 11, "kind": "deploy", "description": "v2"}],
    "top_sql": [{"digest": "d1", "text": "SELECT 1", "calls": 10, "total_time_ms": 5.0}],
    "lock_waits": [{"waiting_session": "1", "blocking_session": "2", "wait_s": 1.5}],
    "logs": [{"time": 13, "level": "warning", "message": "slow"}],
    "settings": {"max_connections": "100"},
    "labels": ["cpu_saturation"],
}
_counter = itertools.count()


def _batch(workdir: Path, content: bytes) -> tuple[Path, Path]:
    folder = workdir / f"case{next(_counter)}"
    folder.mkdir()
    bad = folder / "a-hostile.json"
    bad.write_bytes(content)
    good = folder / "b-good.json"
    good.write_text(to_json(GOOD), encoding="utf-8")
    return bad, good


def _every_command(bad: Path, good: Path) -> None:
    """validate, summary and diagnose on the pair, explain on the hostile file alone."""
    result = run(["validate", str(bad), str(good)])
    refused = lines_about(result, bad)
    check("validate", result, {0, 1}, all(is_clear(line, bad) for line in refused) and len(refused) <= 1)
    assert (result.code == 1) == bool(refused)
    assert result.err_lines[-1] == ("1 valid, 1 invalid" if refused else "2 valid, 0 invalid")

    result = run(["summary", str(bad), str(good)])
    lines = lines_about(result, bad)
    check(
        "summary", result, {0, 1}, all(is_clear(line, bad) for line in lines) and len(lines) == len(refused)
    )
    assert "good-1: CPU climbs" in result.out

    result = run(["diagnose", "--no-llm", "--format", "json", str(bad), str(good)])
    lines = lines_about(result, bad)
    check("diagnose", result, {0, 1}, all(is_clear(line, bad) for line in lines) and len(lines) <= 1)
    assert '"incident": "good-1"' in result.out  # the batch went on

    result = run(["explain", str(bad)])
    lines = lines_about(result, bad)
    check("explain", result, {0, 1}, all(is_clear(line, bad) for line in lines) and len(lines) <= 1)
    assert (result.code == 0) == (not refused)


@FUZZ
@given(doc=mutated(GOOD), data=st.data())
def test_a_valid_incident_with_one_hostile_part(workdir: Path, doc: Any, data: st.DataObject) -> None:
    bad, good = _batch(workdir, data.draw(encoded(to_json(doc))))
    _every_command(bad, good)


_WHOLE = st.one_of(
    HOSTILE_VALUES,
    st.builds(lambda d: {**GOOD, "metrics": nested(d)}, st.sampled_from([64, 65, 500, 1001, 20_000])),
    st.builds(nested, st.sampled_from([63, 64, 65, 900, 1001, 100_000])),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=20,
    ),
)


@FUZZ
@given(doc=_WHOLE)
def test_whole_documents_that_are_not_incidents(workdir: Path, doc: Any) -> None:
    bad, good = _batch(workdir, to_json(doc).encode("utf-8", "surrogatepass"))
    _every_command(bad, good)


@FUZZ
@given(
    content=st.binary(max_size=300)
    | st.sampled_from([b"", b" \n\t", b"\xef\xbb\xbf{}", b"{" * 10, b"\xff\xfe"])
)
def test_arbitrary_bytes(workdir: Path, content: bytes) -> None:
    bad, good = _batch(workdir, content)
    _every_command(bad, good)


@FUZZ
@given(shift=st.sampled_from([1e9, 1e11, 1e12, 1e13, 1e15, 1e16, 1e17, 1e300, -1e12, -1e300]))
def test_timestamps_far_in_the_future_or_the_past(workdir: Path, shift: float) -> None:
    doc = {
        **GOOD,
        "metrics": [
            {**m, "timestamps": [shift + t * max(1.0, abs(shift) * 1e-15) for t in m["timestamps"]]}
            for m in GOOD["metrics"]
        ],
        "events": [],
        "logs": [],
        "window": None,
    }
    bad, good = _batch(workdir, to_json(doc).encode())
    _every_command(bad, good)
    result = run(["diagnose", "--no-llm", "--format", "markdown", str(bad), str(good)])
    check("diagnose markdown", result, {0, 1}, all(is_clear(line, bad) for line in lines_about(result, bad)))
    assert "good-1" in result.out
