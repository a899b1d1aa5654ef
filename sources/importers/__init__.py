"""Incident files and the importers that make them from other formats.

Everything that reads a file raises :class:`IncidentError`, whose message is
the one line a user sees (``FILE: field.path: what is wrong``).
"""

from sources.importers.cloudwatch import import_cloudwatch
from sources.importers.dbsherlock import CAUSE_IDS as DBSHERLOCK_CAUSE_IDS
from sources.importers.dbsherlock import import_directory as import_dbsherlock
from sources.importers.errors import IncidentError
from sources.importers.incident_file import dump_incident, expand_paths, load_incident, write_incident
from sources.importers.options import ImportOptions
from sources.importers.prometheus import import_prometheus

__all__ = [
    "DBSHERLOCK_CAUSE_IDS",
    "ImportOptions",
    "IncidentError",
    "dump_incident",
    "expand_paths",
    "import_cloudwatch",
    "import_dbsherlock",
    "import_prometheus",
    "load_incident",
    "write_incident",
]
