"""What the history raises for its callers to report, each with a one-line message."""

from __future__ import annotations

from sleuth._errors import UsageError


class HistoryError(UsageError):
    """The history cannot serve the request (unreachable, from a newer sleuth, no such record).

    A usage error: the command line exits 2 with the message, the UI shows it.
    """
