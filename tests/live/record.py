"""Trims a lab capture into a recorded case: what the diagnosis reads, nothing more.

``python -m tests.live.record DUMP_DIR OUT_DIR`` turns the captures
``test_live_anomalies`` wrote (``SLEUTH_LAB_DUMP=DUMP_DIR``) into the files
``tests/live/cases`` holds: the series the knowledge graph maps, ten digests,
the ten heaviest statements with the tables and plans they name, the last
hundred lock waits and the settings the rules and observations read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from models import Incident
from sleuth import Sleuth

KEEP_SETTINGS = frozenset(
    {
        "autovacuum",
        "autovacuum_naptime",
        "autovacuum_vacuum_scale_factor",
        "autovacuum_vacuum_threshold",
        "idle_in_transaction_session_timeout",
        "innodb_buffer_pool_size",
        "innodb_lock_wait_timeout",
        "lock_timeout",
        "max_connections",
        "max_statement_time",
        "shared_buffers",
        "work_mem",
    }
)
STATEMENTS = 10


def trim(incident: Incident) -> Incident:
    known = Sleuth().canonical_metrics([m.name for m in incident.metrics])
    statements = incident.statements[:STATEMENTS]
    digests = {s.digest for s in statements}
    return incident.model_copy(
        update={
            "metrics": [m for m in incident.metrics if known.get(m.name)],
            "top_sql": incident.top_sql[:10],
            "lock_waits": incident.lock_waits[-100:],
            "settings": {k: v for k, v in incident.settings.items() if k in KEEP_SETTINGS},
            "statements": statements,
            "plans": [p for p in incident.plans if p.digest in digests],
        }
    )


def main(argv: list[str]) -> int:
    source, target = Path(argv[0]), Path(argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.json")):
        incident = trim(Incident.model_validate_json(path.read_text()))
        (target / path.name).write_text(incident.model_dump_json(exclude_defaults=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
