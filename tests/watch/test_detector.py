"""How large an onset must be: many noise units is not enough, a service metric must move as far as
some rule of the book requires before it names a cause."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lab.replay import Recording, read_recording, restamped, slowed
from rules import window
from rules.book import RuleBook, load_rulebook
from rules.graph import default_graph
from rules.materiality import DIRECTION_REL, DIRECTION_SCORE, relative_move, service_bar
from sleuth.watch.detector import Row, Rows, Voters, matrix, ongoing
from sleuth.watch.ring import Packer
from tests.watch import RECORDINGS

PACK = """\
pack: bar
rules:
  - id: commits_halve
    title: commits halve
    when:
      all:
        - {signal: commits, ratio: {lte: 0.5}}
      any:
        - {signal: commits, ratio: {lte: 0.95}}
        - {signal: latency, ratio: {gte: 1.05}}
    then: {cause: lock_contention}
    certainty: 0.5
  - id: latency_triples
    title: latency triples
    when:
      all:
        - {signal: latency, ratio: {gte: 3}}
        - {signal: commits, ratio: {gte: 0.9, lte: 2}}
        - {signal: cpu_user, ratio: {gte: 1.1}}
    then: {cause: lock_contention}
    certainty: 0.5
"""


def test_the_service_bar_is_the_least_move_a_rule_requires_of_a_service_metric(tmp_path: Path) -> None:
    path = tmp_path / "bar.yaml"
    path.write_text(PACK)
    # commits <= 0.5 is a move of 0.5, latency >= 3 one of 2/3; the `any` alternatives, the bounds
    # that ask for no change (commits between 0.9 and 2) and cpu_user (not a service metric) set none.
    assert service_bar(load_rulebook([path])) == pytest.approx(0.5)
    assert service_bar(RuleBook.empty()) == DIRECTION_REL
    assert service_bar(None) == DIRECTION_REL


@pytest.fixture(scope="module")
def steady_maria() -> Recording:
    return read_recording(RECORDINGS / "steady-mariadb.jsonl.gz")


VIEW = 60
SLOW_FROM = 68


def _view(recording: Recording, factor: float) -> list[Row]:
    """A minute of the steady server whose last twelve samples run ``factor`` times as fast."""
    samples = slowed(recording.samples[: SLOW_FROM + 12], SLOW_FROM, SLOW_FROM + 12, factor)
    packer, rows = Packer(), Rows()
    return [rows.row(packer.pack(s, None)) for s in restamped(samples, 0.0, 1.0)][-VIEW:]


def test_a_slowdown_many_noise_units_deep_but_smaller_than_any_cause_is_no_onset(
    steady_maria: Recording,
) -> None:
    resolve = default_graph().resolve_metric
    rows = _view(steady_maria, 0.83)
    values, service = matrix(rows, Voters(resolve))
    found = window.search(values)
    moved = (np.abs(found.shift if found.shift is not None else 0.0) >= DIRECTION_SCORE) & service
    # significant, and service rates moved far beyond their noise: what sized the onset before
    assert found.windows and found.best[1] == VIEW - 1 and np.count_nonzero(moved) >= 3
    assert ongoing(rows, Voters(resolve)).onset == SLOW_FROM
    # 17 % less work is less than any rule asks of a service metric (a fifth here)
    assert ongoing(rows, Voters(resolve, 0.2)).onset is None
    # a cause's size is an onset at the first slowed sample
    assert ongoing(_view(steady_maria, 0.7), Voters(resolve, 0.2)).onset == SLOW_FROM


def test_the_relative_move_is_of_means_on_the_signals_scale() -> None:
    values = np.array(
        [
            [10.0, 10.0, 10.0, 10.0, 5.0, 5.0],  # halved
            [0.0, 0.0, 0.0, 0.0, 2.0, 2.0],  # from nothing
            [0.0, 2.0, 0.0, 2.0, 1.0, 1.0],  # a once-a-second counter read twice a second, then smoothed
            [4.0, 4.0, 4.0, 4.0, 5.0, 5.0],  # up a quarter
        ]
    )
    assert relative_move(values, (4, 5)).tolist() == pytest.approx([0.5, 1.0, 0.0, 0.2])
    assert relative_move(values, (0, 5)).tolist() == [0.0, 0.0, 0.0, 0.0]
