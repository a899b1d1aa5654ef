"""Statements in flight as evidence: what the sessions are running now counts toward each statement's load.

pg_stat_statements and performance_schema's digests count an execution when it
ends, with all of its time. A statement that runs for seconds is invisible to
them until then, which is exactly when an anomaly it causes is first noticed:
only the CPU it burns shows. A DBA looks at the processlist (pt-stalk captures
it for that reason), and so does sleuth: each sample reads the sessions
running a statement, and a session that has been running one for ``t`` seconds
has spent those seconds on it.

The load is kept in the statements' own cumulative counters, so the interval
arithmetic of ``sources.live.workload`` needs nothing new: a statement's time
is what its ended executions took (the server's counter) plus what its running
executions have taken so far, and its calls count each execution once from the
sample it is first seen running. When an execution ends, the server adds its
whole time and call, and it leaves the running part: the counter moves on by
what the execution spent after the previous sample, nothing is counted twice.
An execution whose statement the server does not count (yet) keeps what it was
seen to spend. The counter never goes back, except when the server's own
counter does (a statistics reset), which the interval arithmetic handles.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sources.live.sample import StatementReading
from sources.live.workload import is_monitoring

CALLS = "calls"
TIME = "total_time_ms"
# Statements whose ended executions are remembered though the server does not count them (each is
# given in every sample until then), and statements whose last running text is kept for EXPLAIN.
MAX_BANKED = 50
MAX_TEXTS = 200


@dataclass(frozen=True)
class Running:
    """One session running a statement at a sample.

    ``key`` is the digest the server counts the statement under (PostgreSQL's ``query_id`` is
    pg_stat_statements' ``queryid``); ``text`` is the session's own text, literals included:
    it is masked before it is stored and kept as it is only in memory, for EXPLAIN, unless it
    was ``truncated`` (a cut text can still parse, as another statement).
    """

    session: str
    key: str
    elapsed_ms: float
    text: str
    schema: str | None = None
    truncated: bool = False


@dataclass(frozen=True)
class _Level:
    """What a key's counters were last given as: the server's part and the total with running work."""

    server_calls: float
    server_ms: float
    calls: float
    ms: float


class InFlight:
    """Adds the running executions of each sample to its statement readings (one per collector session)."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], float] = {}  # (session, key) -> elapsed ms at the last sample
        self._banked: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (calls, ms) ended
        self._levels: dict[str, _Level] = {}
        self._texts: OrderedDict[str, tuple[str, str | None]] = OrderedDict()

    def sample_text(self, key: str) -> tuple[str, str | None] | None:
        """The text (literals included) and schema of the last execution of ``key`` seen running."""
        return self._texts.get(key)

    def forget(self, key: str) -> None:
        """``key`` was a stand-in the server now counts under another name: its runs are counted there."""
        self._banked.pop(key, None)
        self._levels.pop(key, None)
        self._runs = {k: v for k, v in self._runs.items() if k[1] != key}

    def add(
        self,
        statements: dict[str, StatementReading] | None,
        running: list[Running],
        shown: Callable[[str], str],
        known: Callable[[str], bool],
    ) -> dict[str, StatementReading]:
        """The readings with the running executions added; ``statements`` as the server counted them.

        ``shown`` masks a session's text for storage; ``known(key)`` says whether the server's
        normalised text of the key was already given, so a running text is given only until then.
        """
        readings = dict(statements or {})
        now: dict[tuple[str, str], float] = {}
        texts: dict[str, tuple[str, str | None]] = {}
        for r in running:
            if is_monitoring(r.text):
                continue
            now[(r.session, r.key)] = max(0.0, r.elapsed_ms)
            texts[r.key] = (r.text, r.schema)
            if not r.truncated:
                self._texts[r.key] = (r.text, r.schema)
                self._texts.move_to_end(r.key)
        for (session, key), elapsed in self._runs.items():
            if now.get((session, key), -1.0) < elapsed and key not in readings:
                # Ended (or the session started it again) uncounted by the server: what it was seen
                # to spend stays the statement's.
                ended, spent = self._banked.pop(key, (0.0, 0.0))
                self._banked[key] = (ended + 1, spent + elapsed)
        self._runs = now
        calls: dict[str, float] = {}
        ms: dict[str, float] = {}
        for (_, key), elapsed in now.items():
            calls[key] = calls.get(key, 0.0) + 1
            ms[key] = ms.get(key, 0.0) + elapsed
        for key in dict.fromkeys([*calls, *self._banked, *self._levels]):
            reading = readings.get(key)
            level = self._level(key, reading, calls.get(key, 0.0), ms.get(key, 0.0))
            if level is None:
                continue
            counters = {**(reading.counters if reading is not None else {}), **level}
            text, schema = (reading.text, reading.schema) if reading is not None else (None, None)
            if text is None and key in texts and not known(key):
                text, schema = shown(texts[key][0]), texts[key][1]
            readings[key] = StatementReading(counters=counters, text=text, schema=schema)
        self._trim()
        return readings

    def _level(
        self, key: str, reading: StatementReading | None, run_calls: float, run_ms: float
    ) -> dict[str, float] | None:
        """The key's calls and time with its running (and banked) executions; ``None``: nothing to add."""
        last = self._levels.get(key)
        if reading is not None:
            self._banked.pop(key, None)  # the server counts the statement now, its ended runs included
            server_calls = reading.counters.get(CALLS, 0.0)
            server_ms = reading.counters.get(TIME, 0.0)
        elif key in self._banked or run_calls:
            server_calls, server_ms = self._banked.get(key, (0.0, 0.0))
        else:
            self._levels.pop(key, None)
            return None
        total_calls, total_ms = server_calls + run_calls, server_ms + run_ms
        if last is not None and server_calls >= last.server_calls and server_ms >= last.server_ms:
            # An execution's end can count a little less than it was seen running for (the server
            # times the execution, the session's clock started at its parse): never go back.
            total_calls, total_ms = max(total_calls, last.calls), max(total_ms, last.ms)
        if total_calls > server_calls or total_ms > server_ms:
            self._levels[key] = _Level(server_calls, server_ms, total_calls, total_ms)
        else:
            self._levels.pop(key, None)
        return {CALLS: total_calls, TIME: total_ms}

    def _trim(self) -> None:
        running = {key for _, key in self._runs}
        for key in [k for k in self._banked if k not in running][: max(0, len(self._banked) - MAX_BANKED)]:
            del self._banked[key]
            self._levels.pop(key, None)
        while len(self._texts) > MAX_TEXTS:
            self._texts.popitem(last=False)
