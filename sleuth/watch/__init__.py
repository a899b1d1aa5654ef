"""``sleuth watch``: keep an eye on a server or a fleet and diagnose each incident as it starts.

Entry points use this package (and ``sleuth.notify``) through the service:
``Sleuth.watch_targets`` turns a fleet file or a DSN into targets,
``Sleuth.watcher`` builds the runner, and ``sleuth.watch.ray_fleet`` shards a
fleet over Ray actors. The collectors, the rules and the history stay
behind it.
"""

from sleuth.watch.events import NOTIFIED, CauseBrief, WatchEvent
from sleuth.watch.runner import FleetRunner
from sleuth.watch.server import ServerStatus, ServerWatch
from sleuth.watch.targets import FleetError, Target, Tuning, load_fleet

__all__ = [
    "NOTIFIED",
    "CauseBrief",
    "FleetError",
    "FleetRunner",
    "ServerStatus",
    "ServerWatch",
    "Target",
    "Tuning",
    "WatchEvent",
    "load_fleet",
]
