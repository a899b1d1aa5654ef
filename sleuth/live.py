"""Live servers, for entry points: capture a server read-only into an incident.

The collectors live in ``sources.live``; this is the part of them a command
line or a UI needs (``sleuth collect``, ``sleuth diagnose --dsn``), so entry
points depend on the service package alone.
"""

from sources.live.dsn import Dsn, DsnError, parse_dsn, redact_text
from sources.live.errors import CollectError, PartialCollection
from sources.live.sample import Sample
from sources.live.sampler import MIN_INTERVAL_S, collect

__all__ = [
    "MIN_INTERVAL_S",
    "CollectError",
    "Dsn",
    "DsnError",
    "PartialCollection",
    "Sample",
    "collect",
    "parse_dsn",
    "redact_text",
]
