"""Vendor metric names to canonical ids: exact, then case-insensitive, then glob patterns.

Exact and case-insensitive lookups are dictionary hits; only names that miss
both walk the (few) glob patterns, and every answer is memoised because the
same columns are resolved for every incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge_graph._types import MetricAlias

_MEMO_LIMIT = 65536


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """``*`` matches any run of characters; everything else is literal (``[`` too, unlike fnmatch)."""
    parts = (re.escape(part) for part in pattern.split("*"))
    return re.compile(".*".join(parts), re.DOTALL)


def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = glob_to_regex(pattern)
    return re.compile(regex.pattern, re.IGNORECASE | re.DOTALL) if ignore_case else regex


@dataclass
class AliasTable:
    exact: dict[str, MetricAlias] = field(default_factory=dict)
    folded: dict[str, MetricAlias] = field(default_factory=dict)
    globs: list[tuple[re.Pattern[str], re.Pattern[str], MetricAlias]] = field(default_factory=list)
    _memo: dict[str, MetricAlias | None] = field(default_factory=dict, repr=False)

    def add(self, name: str, alias: MetricAlias) -> str | None:
        """Register one name; returns why it clashes with an earlier one, or ``None``."""
        if "*" in name:
            for _, _, other in self.globs:
                if other.pattern == name:
                    return f"duplicate alias {name!r} (already names {other.metric!r})"
            self.globs.append((_glob(name, False), _glob(name, True), alias))
            return None
        if name in self.exact:
            return f"duplicate alias {name!r} (already names {self.exact[name].metric!r})"
        key = name.casefold()
        twin = self.folded.get(key)
        if twin is not None and twin.metric != alias.metric:
            return f"alias {name!r} differs only in case from {twin.pattern!r}, which names {twin.metric!r}"
        self.exact[name] = alias
        self.folded.setdefault(key, alias)
        return None

    def resolve(self, name: str) -> MetricAlias | None:
        if name in self._memo:
            return self._memo[name]
        found: MetricAlias | None = self.exact.get(name) or self.folded.get(name.casefold())
        if found is None:
            found = next((a for rx, _, a in self.globs if rx.fullmatch(name)), None)
        if found is None:
            found = next((a for _, rx, a in self.globs if rx.fullmatch(name)), None)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()  # vendor names are few; this only guards against unbounded input
        self._memo[name] = found
        return found

    def names(self) -> list[str]:
        return sorted([*self.exact, *(a.pattern for _, _, a in self.globs)])
