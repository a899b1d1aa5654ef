"""Live, read-only collection from PostgreSQL and MySQL/MariaDB servers into sleuth incidents.

``collect(dsn, duration_s, interval_s)`` samples a server and returns a
``models.Incident`` whose series the rules diagnose like any imported one.
"""

from sources.live.dsn import Dsn, DsnError, parse_dsn, redact_text
from sources.live.errors import CollectError, ConnectionLost, PartialCollection, QueryFailed, WriteRefused
from sources.live.sample import Collector, Sample, ServerInfo
from sources.live.sampler import Clock, collect, open_collector, sample_count

__all__ = [
    "Clock",
    "CollectError",
    "Collector",
    "ConnectionLost",
    "Dsn",
    "DsnError",
    "PartialCollection",
    "QueryFailed",
    "Sample",
    "ServerInfo",
    "WriteRefused",
    "collect",
    "open_collector",
    "parse_dsn",
    "redact_text",
    "sample_count",
]
