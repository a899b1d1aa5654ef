"""The investigation's trace: every model and tool call, in order, as JSON lines.

One JSON object per line so a long trace can be tailed, grepped and loaded
back into ``models.TraceEvent`` for the report and the UI. Times are relative
to the recorder's start, so traces of different runs compare directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from models import TraceEvent


class TraceRecorder:
    """Thread-safe, because the executor records tool calls from its worker threads."""

    def __init__(self) -> None:
        self._events: list[TraceEvent] = []
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()

    def now_ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000.0

    def record(self, event: TraceEvent) -> TraceEvent:
        with self._lock:
            self._events.append(event)
        return event

    def note(self, name: str, output: Any = None) -> TraceEvent:
        return self.record(TraceEvent(kind="note", name=name, started_ms=self.now_ms(), output=output))

    def budget(self, figures: dict[str, Any]) -> TraceEvent:
        """The investigation's budget: its limits, what it spent and what ran out (``BudgetMeter.figures``)."""
        return self.note("budget", figures)

    @property
    def events(self) -> list[TraceEvent]:
        with self._lock:
            return list(self._events)


def write_jsonl(path: Path, events: Iterable[TraceEvent], *, force: bool = False) -> int:
    """Write the events, one per line, through sleuth's one writer (atomic, never over anything but
    a regular file, over an existing one only with ``force``); returns how many were written."""
    from sources.output_files import StagedFile

    n = 0
    with StagedFile(path, force=force, parents=False) as out:
        for event in events:
            out.write(event.model_dump_json() + "\n")
            n += 1
    return n


def read_jsonl(path: Path) -> list[TraceEvent]:
    with path.open(encoding="utf-8") as fh:
        return [TraceEvent.model_validate_json(line) for line in fh if line.strip()]
