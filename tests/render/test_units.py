"""The formatting module: human units, significant digits, clocks, and never a crash on any float."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sleuth.render.units import (
    NUMBER_WIDTH,
    SIG,
    Unit,
    byte_size,
    clock,
    duration,
    number,
    parse_unit,
    quantity,
    ratio,
    span,
    width,
)
from tests.render.zones import CET, local_zone

KG_UNITS = (
    "",
    "per_second",
    "percent",
    "bytes",
    "bytes_per_second",
    "ms",
    "s",
    "rows_per_second",
    "sessions",
)
SERIES_UNITS = ("%", "/s", "KB/s", "Bytes/Second", "Count/Second", "Milliseconds", "Percent", "count")
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
EDGES = (math.nan, math.inf, -math.inf, 1e308, -1e308, 1.7976931348623157e308, 5e-324, -5e-324, 0.0, -0.0)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0, "0"),
        (1.5, "1.5"),
        (0.2019, "0.202"),
        (30.01, "30"),
        (999.4, "999"),
        (999.6, "1K"),
        (1991.0, "1.99K"),
        (65930.0, "65.9K"),
        (1.5e8, "150M"),
        (-3.2e9, "-3.2G"),
        (0.0009996, "0.001"),
        (1.234e-5, "1.23e-5"),
        (1.2e21, "1.2e21"),
        (math.nan, "n/a"),
        (-math.inf, "-∞"),
    ],
)
def test_number_uses_significant_digits_and_si_prefixes(value: float, shown: str) -> None:
    assert number(value) == shown


def test_units_read_as_a_dba_expects() -> None:
    assert byte_size(1.752e8) == "167 MiB"
    assert byte_size(1020.0) == "1020 B"
    assert byte_size(1023.9) == "1020 B"
    assert byte_size(1048575.0) == "1020 KiB"  # 1023.999 KiB in three digits
    assert byte_size(1048576.0) == "1 MiB"
    assert quantity(327900.0, "bytes_per_second") == "320 KiB/s"
    assert quantity(7.947e6, "KB/s") == "7.58 GiB/s"  # a series in KiB/s
    assert quantity(0.8179, "ms") == "818 µs"
    assert quantity(4.494, "ms") == "4.49 ms"
    assert quantity(999.96, "ms") == "1 s"
    assert duration(68.0) == "68 s"
    assert duration(1234.0) == "20.6 min"
    assert duration(7200.0) == "2 h"
    assert duration(3 * 86400.0) == "3 d"
    assert quantity(92.56, "percent") == "92.6%"
    assert quantity(1991.0, "rows_per_second") == "1.99K rows/s"
    assert quantity(0.2019, "per_second") == "0.202/s"
    assert quantity(8.986, "requests") == "8.99 requests"
    assert quantity(12.0, "Count/Second") == "12/s"


def test_units_are_parsed_from_the_graph_and_from_series() -> None:
    assert parse_unit("bytes_per_second") == Unit("bytes", per_second=True)
    assert parse_unit("KB/s") == Unit("bytes", 1024.0, per_second=True)
    assert parse_unit("Percent") == Unit("percent")
    assert parse_unit("Milliseconds") == Unit("seconds", 1e-3)
    assert parse_unit("per_second") == Unit(per_second=True)
    assert parse_unit("rows_per_second") == Unit(noun="rows", per_second=True)
    assert parse_unit("lock waits") == Unit(noun="lock waits")


def test_a_ratio_over_nothing_is_from_zero() -> None:
    assert ratio(0.0, 40.0) == "from 0"
    assert ratio(0.0, 0.0) == "unchanged"
    assert ratio(1.5, 40.0) == "×26.7"
    # the medians' own ratio, not a signal's floored one (which reads ×100 for any rise from ~0)
    assert ratio(1991.0, 1.5e8) == "×75.3K"


def test_clocks_are_local_wall_time_or_relative() -> None:
    with local_zone(CET):
        assert clock(1763900450.0) == "2025-11-23 13:20:50 CET"
        assert span(1763900450.0, 1763900740.0) == "2025-11-23 13:20:50 – 13:25:40 CET (290 s)"
        assert span(1763938500.0, 1763942400.0) == "2025-11-23 23:55:00 – 2025-11-24 01:00:00 CET (65 min)"
        assert clock(1751362200.0) == "2025-07-01 11:30:00 CEST"
    assert clock(12.0) == "+12 s"
    assert clock(0.0) == "+0 s"
    assert span(36.0, 104.0) == "+36 s – +104 s (68 s)"


@pytest.mark.parametrize("t", [1e12, 2.5e14, 1.7976931348623157e308, math.inf, math.nan])
def test_clocks_past_the_calendar_are_numbers(t: float) -> None:
    shown = clock(t)
    assert "unix" in shown or shown in ("+∞ s", "n/a")
    assert span(1e12, 1e12 + 90.0) == "unix 1T s – unix 1T s (90 s)"


def _parse(text: str) -> Decimal:
    """The value a formatted number stands for (the inverse of ``number``), exactly, past the float range too."""
    prefixes = {"": 0, "K": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
    match = re.fullmatch(r"(-?[0-9.]+(?:e-?[0-9]+)?)([KMGTPE]?)", text)
    assert match is not None, text
    return Decimal(match.group(1)).scaleb(prefixes[match.group(2)])


def _close(shown: Decimal, x: float, scale: int = 1) -> bool:
    """Within half a unit of the last significant digit."""
    exact = Decimal(x)
    return abs(shown * scale - exact) <= abs(exact) * Decimal(5) * Decimal(10) ** -SIG


@given(ANY_FLOAT | st.sampled_from(EDGES), st.sampled_from(KG_UNITS + SERIES_UNITS))
def test_never_raises_and_stays_within_its_column(x: float, unit: str) -> None:
    shown = quantity(x, unit)
    assert shown and len(shown) <= width(unit)
    assert len(number(x)) <= NUMBER_WIDTH
    clock(x)
    span(x, x)
    ratio(x, x)


@given(st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True))
def test_number_round_trips_within_its_precision(x: float) -> None:
    assert _close(_parse(number(x)), x)


@given(st.floats(min_value=0.0, max_value=1e300, allow_subnormal=False))
def test_bytes_round_trip_within_their_precision(x: float) -> None:
    value, _, unit = byte_size(x).partition(" ")
    scale = 1024 ** ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"].index(unit)
    assert _close(_parse(value), x, scale)
