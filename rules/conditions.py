"""Pure-Python evaluation of one rule condition against one fact.

durable_rules only says *that* a rule fired; WHY-NOT explanations and the
threshold-tuning scripts need to know *which* test failed and what value was
seen. Keeping this evaluator independent of the engine lets both ask the same
question the compiled rules ask, without a session.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from models import Condition, Fact, NumTest

Value = float | str | bool
Expected = float | str | bool | tuple[str, ...]

# The per-field numeric tests a condition may carry, in the order they are reported.
NUMERIC_CONDITION_FIELDS: tuple[str, ...] = (
    "baseline",
    "anomaly",
    "delta",
    "ratio",
    "score",
    "peak",
    "confidence",
    "certainty",
)
OP_SYMBOLS: dict[str, str] = {
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "eq": "==",
    "ne": "!=",
    "in": "in",
    "is": "is",
}


@dataclass(frozen=True)
class TestOutcome:
    """One elementary comparison, with the value seen so an explanation can quote it."""

    field: str
    op: str
    expected: Expected
    seen: Value | None
    passed: bool

    def describe(self) -> str:
        """A short human phrase such as ``score=1.2 (needs > 3)``."""
        seen = "missing" if self.seen is None else _fmt(self.seen)
        want = (
            "[" + ", ".join(self.expected) + "]" if isinstance(self.expected, tuple) else _fmt(self.expected)
        )
        return f"{self.field}={seen} (needs {OP_SYMBOLS.get(self.op, self.op)} {want})"


@dataclass(frozen=True)
class ConditionResult:
    """The outcome of a condition against a fact (``fact`` is None when no fact had its subject)."""

    condition: Condition
    fact: Fact | None
    tests: tuple[TestOutcome, ...]

    @property
    def matched(self) -> bool:
        return self.fact is not None and all(t.passed for t in self.tests)

    @property
    def failed(self) -> tuple[TestOutcome, ...]:
        return tuple(t for t in self.tests if not t.passed)


def subject(condition: Condition) -> tuple[str, str]:
    """The (fact kind, name) a condition is about; models guarantee exactly one is set."""
    if condition.signal is not None:
        return ("signal", condition.signal)
    if condition.fact is not None:
        return ("derived", condition.fact)
    assert condition.observation is not None  # enforced by Condition._one_subject
    return ("observation", condition.observation)


def describe_subject(condition: Condition) -> str:
    kind, name = subject(condition)
    return f"{'fact' if kind == 'derived' else kind} {name}"


def is_about(condition: Condition, fact: Fact) -> bool:
    return subject(condition) == (fact.kind, fact.name)


def numeric_tests(condition: Condition) -> list[tuple[str, NumTest]]:
    """The condition's numeric tests as (attribute, test), fixed fields first then ``where``."""
    found: list[tuple[str, NumTest]] = []
    for name in NUMERIC_CONDITION_FIELDS:
        test = getattr(condition, name)
        if test is not None:
            found.append((name, test))
    found.extend((k, v) for k, v in condition.where.items() if isinstance(v, NumTest))
    return found


def evaluate(condition: Condition, fact: Fact) -> ConditionResult:
    """Every test of ``condition`` against ``fact``; a fact on another subject fails on its name."""
    if not is_about(condition, fact):
        kind, name = subject(condition)
        miss = TestOutcome("name", "eq", f"{kind}:{name}", f"{fact.kind}:{fact.name}", False)
        return ConditionResult(condition, None, (miss,))
    return ConditionResult(condition, fact, tuple(TestOutcome(*t) for t in _tests(condition, fact)))


def matches(condition: Condition, fact: Fact, certainty: float | None = None) -> bool:
    """``evaluate(condition, fact).matched``, stopping at the first failed test.

    ``certainty``, when given, stands for the fact's own (a derived fact's
    settled certainty rather than the one it was asserted with).
    """
    return is_about(condition, fact) and all(t[4] for t in _tests(condition, fact, certainty))


def _tests(
    condition: Condition, fact: Fact, certainty: float | None = None
) -> Iterator[tuple[str, str, Expected, Value | None, bool]]:
    """Each elementary test as ``TestOutcome``'s fields, in report order, computed as asked for."""
    attrs = fact.attrs
    for name in NUMERIC_CONDITION_FIELDS:
        test = getattr(condition, name)
        if test is not None:
            if name != "certainty":
                seen = attrs.get(name)
            else:
                seen = fact.certainty if certainty is None else certainty
            yield from _num_tests(name, test, seen)
    if condition.shape is not None:
        shape = attrs.get("shape")
        allowed = tuple(condition.shape)
        yield ("shape", "in", allowed, shape, shape in allowed)
    if condition.direction is not None:
        direction = attrs.get("direction")
        yield ("direction", "eq", condition.direction, direction, direction == condition.direction)
    for key, want in condition.where.items():
        seen = attrs.get(key)
        if isinstance(want, NumTest):
            yield from _num_tests(key, want, seen)
        else:
            ok = seen is not None and type(seen) is type(want) and seen == want
            yield (key, "is" if isinstance(want, bool) else "eq", want, seen, ok)


def best_match(condition: Condition, facts: Iterable[Fact]) -> ConditionResult:
    """The first fact that satisfies the condition, else the closest miss (fewest failed tests).

    WHY-NOT wants the nearest candidate, not just "no": a signal that moved but
    not far enough says more than "absent".
    """
    best: ConditionResult | None = None
    for fact in facts:
        if not is_about(condition, fact):
            continue
        result = evaluate(condition, fact)
        if result.matched:
            return result
        if best is None or len(result.failed) < len(best.failed):
            best = result
    if best is not None:
        return best
    absent = TestOutcome("present", "is", True, False, False)
    return ConditionResult(condition, None, (absent,))


def _num_tests(
    field: str, test: NumTest, seen: Value | None
) -> Iterator[tuple[str, str, float, Value | None, bool]]:
    number = _as_number(seen)
    for op, bound in test.bounds():
        yield (field, op, bound, seen, number is not None and bool(NumTest.compare(op, number, bound)))


def _as_number(value: Value | None) -> float | None:
    # bool is an int subclass; a flag is not a magnitude, so it never passes a numeric test.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _fmt(value: Value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
