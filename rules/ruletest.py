"""The inline tests of rule files (``sleuth rules test``): each names an incident and what it must yield.

Reading incidents and diagnosing them are parameters, so the runner is tested
with in-memory incidents and the CLI passes the real file loader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models import Diagnosis, Incident
from rules.book import RuleBook

Loader = Callable[[Path], Incident]
Diagnoser = Callable[[Incident], Diagnosis]


@dataclass(frozen=True)
class InlineTestResult:
    """One inline test; ``where`` is ``FILE:LINE:COL`` of the test entry in its rule file."""

    where: str
    rule: str
    incident: Path
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        status = "ok" if self.passed else "; ".join(self.failures)
        return f"{self.where} {self.rule}: {status}"


def run_inline_tests(book: RuleBook, load: Loader, diagnose: Diagnoser) -> list[InlineTestResult]:
    """Every inline test of every rule; each incident is loaded and diagnosed once."""
    cache: dict[Path, Diagnosis | str] = {}
    results: list[InlineTestResult] = []
    for loaded in book.packs:
        base = loaded.path.parent
        for i, rule in enumerate(loaded.pack.rules):
            for j, test in enumerate(rule.tests):
                line, col = loaded.source.position(("rules", i, "tests", j))
                where = f"{loaded.source.file}:{line}:{col}"
                path = (base / test.incident).resolve()
                if path not in cache:
                    cache[path] = _diagnose(path, load, diagnose)
                outcome = cache[path]
                failures = (
                    (outcome,)
                    if isinstance(outcome, str)
                    else _check(outcome, test.expect, test.expect_not, test.top)
                )
                results.append(InlineTestResult(where, rule.id, path, failures))
    return results


def _diagnose(path: Path, load: Loader, diagnose: Diagnoser) -> Diagnosis | str:
    try:
        return diagnose(load(path))
    except Exception as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _check(d: Diagnosis, expect: list[str], expect_not: list[str], top: str | None) -> tuple[str, ...]:
    concluded = [c.cause for c in d.causes]
    got = ", ".join(concluded) or "nothing"
    failures = [f"expected {c}, concluded {got}" for c in expect if c not in concluded]
    failures += [f"must not conclude {c}, concluded {got}" for c in expect_not if c in concluded]
    if top is not None and (not concluded or concluded[0] != top):
        failures.append(f"expected {top} first, ranked {got}")
    failures += [f"error: {e}" for e in d.errors]
    return tuple(failures)
