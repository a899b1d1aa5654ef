"""Reading an input file sized by what the file reports, with the same limit and the same bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.regular_files import TooLarge, read_regular


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=5000), slack=st.integers(-3, 3))
def test_a_file_is_read_whole_up_to_the_limit_and_refused_past_it(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, slack: int
) -> None:
    path = tmp_path_factory.mktemp("read") / "f"
    path.write_bytes(data)
    limit = max(0, len(data) + slack)
    if len(data) <= limit:
        assert read_regular(path, limit) == data
    else:
        with pytest.raises(TooLarge) as refused:
            read_regular(path, limit)
        assert (refused.value.size, refused.value.limit) == (len(data), limit)


def test_a_file_that_reports_no_size_is_read_to_its_end() -> None:
    proc = Path("/proc/version")
    assert os.stat(proc).st_size == 0
    text = read_regular(proc, 1 << 20)
    assert text == proc.read_bytes()
    assert text.startswith(b"Linux version")


def test_a_file_that_reports_no_size_is_still_held_to_the_limit() -> None:
    with pytest.raises(TooLarge) as refused:
        read_regular(Path("/proc/version"), 5)
    assert refused.value.size == 6
