"""The errors the service raises for its callers to report, each with a one-line message."""

from __future__ import annotations


class UsageError(Exception):
    """The request cannot be served as asked (unknown rule id, broken rule files, a bad option).

    Command lines exit 2 on it; the UI shows the message. Several lines are several problems.
    """
