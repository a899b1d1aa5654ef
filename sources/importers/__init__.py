"""Importers: other formats (DBSherlock cases, Prometheus and CloudWatch answers) turned into incidents.

Each raises ``sources.errors.IncidentError``, whose message is the one line a
user sees (``FILE: field.path: what is wrong``).
"""

from sources.errors import IncidentError
from sources.importers.cloudwatch import import_cloudwatch
from sources.importers.dbsherlock import CAUSE_IDS as DBSHERLOCK_CAUSE_IDS
from sources.importers.dbsherlock import import_directory as import_dbsherlock
from sources.importers.options import ImportOptions
from sources.importers.prometheus import import_prometheus

__all__ = [
    "DBSHERLOCK_CAUSE_IDS",
    "ImportOptions",
    "IncidentError",
    "import_cloudwatch",
    "import_dbsherlock",
    "import_prometheus",
]
