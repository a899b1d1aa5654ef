"""What a watcher must remember across its own crash: per server, the open incident and what was said.

Two files per server in the state directory:

- ``NAME.state.json``: the open incident (its id, onset, the top cause last
  notified), the incidents already resolved, those discarded (ended before any
  rule explained them; never told, never recorded), and whether the server's
  unreachability was reported. Written whole beside itself and renamed into
  place (``sources.output_files``), so a kill at any moment leaves the old or
  the new state, never half of one. It is written *before* the notification it
  records is sent: after a crash a notification may be missing, never repeated.
- ``NAME.journal``: the samples of the open incident (its baseline, then each
  new sample), one JSON line each, appended as they come. A restarted watcher
  rebuilds the incident from it and goes on; a line cut short by the kill is
  dropped. It is removed when the incident is resolved.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models import LockWait
from sleuth.watch.ring import Packed, Packer, Texts, unpack
from sources.live.sample import Sample, StatementReading
from sources.output_files import write_text

KEEP_RESOLVED = 50
KEEP_GAPS = 50


class OpenIncident(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    onset: float
    path: str | None = None
    notified_top: str | None = None
    opened_sent: bool = False
    baseline: int = Field(default=0, description="samples of the journal before the onset")


class Pending(BaseModel):
    """An incident file whose diagnosis is not in the history yet (none configured, or unreachable)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    path: str
    diagnosis: str


class Gap(BaseModel):
    """A time the watcher could not see the server (a restart, a network failure, its own restart)."""

    model_config = ConfigDict(extra="ignore")

    start: float
    end: float
    reason: str


class ServerState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    server: str
    open: OpenIncident | None = None
    resolved: list[str] = Field(default_factory=list)
    discarded: list[str] = Field(
        default_factory=list, description="incidents that ended before any rule explained them"
    )
    pending: list[Pending] = Field(default_factory=list)
    unreachable_reported: bool = False
    gaps: list[Gap] = Field(default_factory=list)


@dataclass(frozen=True)
class Journaled:
    """An open incident's samples as a restarted watcher reads them back."""

    samples: list[Packed]
    texts: Texts


class StateFiles:
    """The state and journal of one server in ``folder``."""

    def __init__(self, folder: Path, server: str) -> None:
        self.folder = folder
        self.server = server
        self.path = folder / f"{server}.state.json"
        self.journal_path = folder / f"{server}.journal"

    def load(self) -> ServerState:
        try:
            return ServerState.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return ServerState(server=self.server)
        except (OSError, ValidationError, ValueError):
            # An unreadable state is a fresh start, said once by the caller; the journal stays.
            return ServerState(server=self.server)

    def save(self, state: ServerState) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        state.resolved = state.resolved[-KEEP_RESOLVED:]
        state.discarded = state.discarded[-KEEP_RESOLVED:]
        state.gaps = state.gaps[-KEEP_GAPS:]
        write_text(self.path, state.model_dump_json(indent=1), force=True, parents=True)

    # -- the open incident's samples --------------------------------------------------------------

    def start_journal(self, samples: Iterable[Packed], texts: Texts) -> None:
        """A new journal holding the baseline and the first incident samples, replacing any old one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"texts": texts.items()})]
        lines.extend(json.dumps({"sample": sample_json(unpack(p)), "gap": p.gap}) for p in samples)
        write_text(self.journal_path, "\n".join(lines) + "\n", force=True, parents=True)

    def append(self, packed: Packed, new_texts: list[tuple[str, tuple[str, str | None]]]) -> None:
        line = ""
        if new_texts:
            line += json.dumps({"texts": new_texts}) + "\n"
        line += json.dumps({"sample": sample_json(unpack(packed)), "gap": packed.gap}) + "\n"
        with self.journal_path.open("a", encoding="utf-8") as fh:
            fh.write(line)

    def read_journal(self) -> Journaled | None:
        try:
            text = self.journal_path.read_text(encoding="utf-8")
        except OSError:
            return None
        packer = Packer()
        texts = Texts()
        samples: list[Packed] = []
        for line in _lines(text):
            if "texts" in line:
                texts.restore((d, (t[0], t[1])) for d, t in line["texts"])
            elif "sample" in line:
                samples.append(packer.pack(sample_of(line["sample"]), line.get("gap")))
        return Journaled(samples, texts)

    def drop_journal(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal_path)


def _lines(text: str) -> Iterator[dict[str, Any]]:
    for raw in text.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # the last line, cut short by a kill
        if isinstance(line, dict):
            yield line


def sample_json(sample: Sample) -> dict[str, Any]:
    out: dict[str, Any] = {"t": sample.time, "c": sample.counters, "g": sample.gauges}
    if sample.lock_waits:
        out["l"] = [w.model_dump(mode="json") for w in sample.lock_waits]
    if sample.statements is not None:
        out["s"] = {d: r.counters for d, r in sample.statements.items()}
    return out


def sample_of(data: dict[str, Any]) -> Sample:
    statements = data.get("s")
    return Sample(
        time=float(data["t"]),
        counters={str(k): float(v) for k, v in data.get("c", {}).items()},
        gauges={str(k): float(v) for k, v in data.get("g", {}).items()},
        lock_waits=[LockWait.model_validate(w) for w in data.get("l", [])],
        statements=None
        if statements is None
        else {
            str(d): StatementReading({str(k): float(v) for k, v in c.items()}) for d, c in statements.items()
        },
    )
