"""Numbers as a DBA reads them: human units, a few significant digits, wall-clock times.

Every figure sleuth prints goes through here, so a byte count reads ``167 MiB``
in the table, the report and the UI alike, never ``1.752e+08``. Nothing here
raises: a value no unit can hold (NaN, infinities, a clock past year 9999) is
still shown, as a number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

SIG = 3
"""Significant digits: enough to compare a baseline with an anomaly, few enough to read at a glance."""

NUMBER_WIDTH = 10
"""The widest ``number`` can be (``-1.23e-308``): what a right-aligned column must leave for it."""

EPOCH_MIN = 1e9
"""Clocks from here on (2001-09-09) are unix seconds; smaller ones count from the capture's start."""

_SI = ("", "K", "M", "G", "T", "P", "E")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
_FIXED_EXPONENTS = range(-3, 3)  # 0.00123 .. 999 print as plain decimals

Kind = Literal["count", "bytes", "seconds", "percent"]


@dataclass(frozen=True)
class Unit:
    """What a value measures: its kind, the factor to the kind's base unit, what is counted, per second or not."""

    kind: Kind = "count"
    scale: float = 1.0
    noun: str = ""
    per_second: bool = False


_PERCENT = {"percent", "%", "pct"}
_BYTES = {
    "bytes": 1.0,
    "byte": 1.0,
    "b": 1.0,
    "bits": 0.125,
    "kb": 1024.0,
    "kib": 1024.0,
    "kilobytes": 1024.0,
    "mb": 1024.0**2,
    "mib": 1024.0**2,
    "megabytes": 1024.0**2,
    "gb": 1024.0**3,
    "gib": 1024.0**3,
    "gigabytes": 1024.0**3,
    "tb": 1024.0**4,
    "tib": 1024.0**4,
    "terabytes": 1024.0**4,
}
_SECONDS = {
    "ns": 1e-9,
    "nanoseconds": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "microseconds": 1e-6,
    "ms": 1e-3,
    "milliseconds": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "minutes": 60.0,
}
_COUNTS = {"", "none", "count", "counts", "number"}
_PER_SECOND = re.compile(r"(?:(?:^|_)per_second|\s*/\s*s(?:ec(?:ond)?)?|\s*per\s+second)$", re.IGNORECASE)


def parse_unit(text: str) -> Unit:
    """A unit from the knowledge graph (``bytes_per_second``) or a series (``KB/s``, CloudWatch ``Percent``).

    Anything unknown is a count of that thing (``sessions``), so it is still shown beside its number.
    """
    name = text.strip()
    per_second = False
    match = _PER_SECOND.search(name)
    if match is not None:
        per_second, name = True, name[: match.start()]
    key = name.lower()
    if key in _PERCENT and not per_second:
        return Unit("percent")
    if key in _BYTES:
        return Unit("bytes", _BYTES[key], per_second=per_second)
    if key in _SECONDS and not per_second:
        return Unit("seconds", _SECONDS[key])
    if key in _COUNTS:
        return Unit(per_second=per_second)
    return Unit(noun=name.replace("_", " "), per_second=per_second)


def _digits(x: float, sig: int) -> tuple[str, int]:
    """The ``sig`` significant digits of ``|x|`` (finite, non-zero) and its decimal exponent, after rounding.

    Taken from the ``e`` format, so a value near the top of the float range rounds without overflowing.
    """
    mantissa, exponent = f"{abs(x):.{sig - 1}e}".split("e")
    return mantissa.replace(".", ""), int(exponent)


def _decimal(digits: str, exponent: int) -> str:
    """``digits`` (d.ddd) times 10**exponent written out without an exponent, trailing zeros dropped."""
    if exponent >= 0:
        whole, frac = digits[: exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1 :]
    else:
        whole, frac = "0", "0" * (-exponent - 1) + digits
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def _special(x: float) -> str | None:
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return "0" if x == 0 else None


def number(x: float, sig: int = SIG) -> str:
    """``x`` in ``sig`` significant digits with K/M/G.. for thousands: ``1.99K``, ``0.202``, ``150M``.

    Magnitudes below 0.001 or past the exa range fall back to ``1.23e-5``: no
    database metric lives there, but a value must never be hidden or crash.
    """
    special = _special(x)
    if special is not None:
        return special
    sign = "-" if x < 0 else ""
    digits, exponent = _digits(x, sig)
    if exponent in _FIXED_EXPONENTS:
        return sign + _decimal(digits, exponent)
    group = exponent // 3
    if 1 <= group < len(_SI):
        return sign + _decimal(digits, exponent - 3 * group) + _SI[group]
    mantissa = _decimal(digits, 0)
    return f"{sign}{mantissa}e{exponent}"


_Step = tuple[str, float, float]  # suffix, size of one, the first rounded value the next suffix takes over
_BYTE_STEPS: tuple[_Step, ...] = tuple(
    (f" {name}", 1024.0**i, 1024.0 if i < len(_BINARY) - 1 else math.inf) for i, name in enumerate(_BINARY)
)
_TIME_STEPS: tuple[_Step, ...] = (
    (" ns", 1e-9, 1000.0),
    (" µs", 1e-6, 1000.0),
    (" ms", 1e-3, 1000.0),
    (" s", 1.0, 1000.0),
    (" min", 60.0, 100.0),
    (" h", 3600.0, 48.0),
    (" d", 86400.0, math.inf),
)


def _scaled(x: float, steps: tuple[_Step, ...], sig: int) -> str:
    """``x`` in the first step whose rounded value stays under its limit (so 999.9 ms reads ``1 s``)."""
    sign = "-" if x < 0 else ""
    size = abs(x)
    for suffix, one, limit in steps:
        value = size / one
        if not math.isfinite(value):
            continue
        digits, exponent = _digits(value, sig) if value else ("0", 0)
        if value < limit and float(f"{value:.{sig - 1}e}") < limit:
            shown = _decimal(digits, exponent) if -3 <= exponent <= 3 and value else number(value, sig)
            return f"{sign}{shown}{suffix}"
    return f"{sign}{number(size, sig)}{steps[0][0]}"


def byte_size(x: float, sig: int = SIG) -> str:
    """Bytes with binary prefixes: ``167 MiB``, ``1020 B``; the exponent form past exbibytes."""
    special = _special(x)
    return f"{special} B" if special is not None else _scaled(x, _BYTE_STEPS, sig)


def duration(seconds: float, sig: int = SIG) -> str:
    """A span of time in the unit that reads best: ``850 µs``, ``4.49 ms``, ``68 s``, ``20.6 min``, ``2 h``."""
    special = _special(seconds)
    return f"{special} s" if special is not None else _scaled(seconds, _TIME_STEPS, sig)


def percent(x: float, sig: int = SIG) -> str:
    """A value already in percent (0..100): ``92.6%``."""
    return f"{number(x, sig)}%"


def share(fraction: float) -> str:
    """A fraction of a whole (0..1) as a percentage: ``0.9897`` → ``99%``."""
    return percent(fraction * 100.0)


def quantity(x: float, unit: str | Unit = "") -> str:
    """``x`` in its unit, scaled to read well: ``167 MiB/s``, ``4.49 ms``, ``92.6%``, ``1.5K rows/s``."""
    u = parse_unit(unit) if isinstance(unit, str) else unit
    value = x * u.scale if math.isfinite(x) else x
    rate = "/s" if u.per_second else ""
    if u.kind == "bytes":
        return byte_size(value) + rate
    if u.kind == "seconds":
        return duration(value)
    if u.kind == "percent":
        return percent(value)
    noun = f" {u.noun}" if u.noun else ""
    return f"{number(value)}{noun}{rate}"


_SUFFIX_WIDTH: dict[Kind, int] = {
    "bytes": len(" KiB"),
    "seconds": len(" min"),
    "percent": len("%"),
    "count": 0,
}


def width(unit: str | Unit = "") -> int:
    """The widest ``quantity`` in ``unit`` can be, whatever the value: the room a fixed column must leave."""
    u = parse_unit(unit) if isinstance(unit, str) else unit
    noun = len(f" {u.noun}") if u.noun else 0
    return NUMBER_WIDTH + _SUFFIX_WIDTH[u.kind] + noun + (len("/s") if u.per_second else 0)


def ratio(baseline: float, anomaly: float) -> str:
    """How many times the baseline the anomaly is: ``×26.7``; ``from 0`` when there was nothing before.

    Computed from the two medians shown, not taken from a signal's ``ratio``,
    which floors a near-zero divisor and so reads ``×100`` for any rise from nothing.
    """
    if baseline == 0 or not math.isfinite(baseline):
        return "unchanged" if anomaly == baseline else f"from {number(baseline)}"
    factor = anomaly / baseline
    return f"×{number(factor)}" if math.isfinite(factor) else "from 0"


def clock(t: float) -> str:
    """A point in time: local wall clock for unix seconds, ``+12 s`` for a clock counting from the capture's start.

    A unix time ``datetime`` cannot hold (past year 9999) is shown as its number of seconds.
    """
    if not math.isfinite(t) or t < EPOCH_MIN:
        return _relative(t)
    moment = _local(t)
    if moment is None:
        return f"unix {number(t)} s"
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").rstrip()


def time_of_day(t: float) -> str:
    """A tick on a time axis: ``12:20:50`` local for unix seconds, ``+12 s`` for a capture-relative clock.

    The date is left to a ``span`` shown nearby: a chart axis has room for the time only.
    """
    moment = _local(t)
    if moment is None:
        return clock(t)
    return moment.strftime("%H:%M:%S")


def span(start: float, end: float) -> str:
    """A window: ``2025-11-23 12:20:50 – 12:25:40 UTC (290 s)`` or ``+36 s – +104 s (68 s)``."""
    length = duration(end - start) if math.isfinite(end - start) else "?"
    first, last = _local(start), _local(end)
    if first is not None and last is not None and min(start, end) >= EPOCH_MIN:
        head = first.strftime("%Y-%m-%d %H:%M:%S")
        same_day = first.date() == last.date() and first.tzname() == last.tzname()
        tail = last.strftime("%H:%M:%S %Z" if same_day else "%Y-%m-%d %H:%M:%S %Z").rstrip()
        return f"{head} – {tail} ({length})"
    return f"{clock(start)} – {clock(end)} ({length})"


def _relative(t: float) -> str:
    if math.isnan(t):
        return "n/a"
    return f"-{duration(-t)}" if t < 0 else f"+{duration(t)}"


def _local(t: float) -> datetime | None:
    """Unix seconds in the local time zone, or None where the platform's calendar ends."""
    if not math.isfinite(t) or t < EPOCH_MIN:
        return None
    try:
        return datetime.fromtimestamp(t).astimezone()
    except (OverflowError, OSError, ValueError):
        return None
