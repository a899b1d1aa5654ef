"""The one matching rule behind every ``/`` filter: each word of the query, anywhere, any case.

Lists differ in what a row says (an incident's name and top cause, a rule's id
and what it concludes, a cause's whole subtree), not in how a query matches
it, so a DBA who learned the filter on one list knows it on all of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping


def terms(query: str) -> list[str]:
    return query.lower().split()


def matches(query: str, texts: Iterable[str], aliases: Mapping[str, Collection[str]] | None = None) -> bool:
    """Whether every word of ``query`` occurs in ``texts``; an empty query matches everything.

    ``aliases`` maps a word to other spellings that also count (a vendor metric name
    to the knowledge graph's ids), so ``pg_locks`` finds what ``lock_waits_current`` does.
    """
    haystack = " ".join(texts).lower()
    others = aliases or {}
    return all(word in haystack or any(o in haystack for o in others.get(word, ())) for word in terms(query))
