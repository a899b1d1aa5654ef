"""The similar-incident index kept on disk between runs, so a large history loads in milliseconds.

Reading every confirmed signature back from the database costs about 40 µs a
record (100,000 take seconds); the index itself is a few float32 arrays. It
is saved after a load that read many records, under the user's cache
directory, named after the database (its URL without password, and the
identity the database got when it was created), and marked with the revision
it reflects: the next run loads it and asks the database only for what
changed since. A cache that does not match, or does not read, is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import platformdirs

from sleuth.history.connect import redacted
from sleuth.history.index import SignatureIndex

APP_NAME = "sleuth"
# Below this many records read, reading them again is cheaper than writing a cache.
WORTH_SAVING = 2000


def path_for(url: str, instance: str) -> Path:
    key = hashlib.sha256(f"{redacted(url)}\0{instance}".encode()).hexdigest()[:20]
    return platformdirs.user_cache_path(APP_NAME) / f"similar-{key}.npz"


def load(path: Path, instance: str) -> tuple[SignatureIndex, int] | None:
    """The index and the revision it reflects, or ``None`` when there is no usable cache."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("instance") != instance:
                return None
            blocks = {e: (data[f"columns_{i}"], data[f"records_{i}"]) for i, e in enumerate(meta["engines"])}
            return SignatureIndex.from_state(meta["metrics"], blocks), int(meta["revision"])
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def save(path: Path, instance: str, revision: int, index: SignatureIndex) -> None:
    """Write atomically: a reader sees the old cache or the new one, never half of one."""
    metrics, blocks = index.state()
    engines = sorted(blocks)
    meta = {"instance": instance, "revision": revision, "metrics": metrics, "engines": engines}
    arrays: dict[str, np.ndarray] = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    for i, engine in enumerate(engines):
        arrays[f"columns_{i}"], arrays[f"records_{i}"] = blocks[engine]
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass  # a cache is an optimisation: a read-only cache directory only costs the next load
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
