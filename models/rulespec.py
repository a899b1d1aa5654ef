"""The rule file format (YAML), validated here so lint, load and the JSON Schema agree."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.defaults import empty_list
from models.facts import Direction, Shape
from models.incident import Engine

_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    # Built when first validated: a rule book comes from the compiled cache far more often than from YAML.
    model_config = ConfigDict(extra="forbid", defer_build=True)


NumOp = Literal["gt", "gte", "lt", "lte", "eq", "ne"]
NUM_OPS: tuple[NumOp, ...] = get_args(NumOp)
_COMPARE: dict[NumOp, Callable[[Any, Any], Any]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}


class NumTest(_Strict):
    """A comparison on a number; every given bound must hold.

    Strict: a bound written as text (``gte: "3"``) or as a flag is an authoring
    mistake, reported at its place rather than read as a number.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    eq: float | None = None
    ne: float | None = None

    @field_validator("gt", "gte", "lt", "lte", "eq", "ne", mode="before")
    @classmethod
    def _not_text(cls, bound: Any) -> Any:
        if isinstance(bound, str):
            hint = ""
            if bound.strip().lower().lstrip("+-").replace(".", "", 1).replace("e", "", 1).isdigit():
                # YAML 1.1 reads ``1e20`` as text: an exponent needs a dot and a sign (``1.0e+20``)
                hint = " (write an exponent as 1.0e+20)" if "e" in bound.lower() else " (drop the quotes)"
            raise ValueError(f"{bound!r} is text, not a number{hint}")
        return bound

    @model_validator(mode="after")
    def _some(self) -> NumTest:
        if not self.bounds():
            raise ValueError("a numeric test needs at least one of gt, gte, lt, lte, eq, ne")
        return self

    def bounds(self) -> list[tuple[NumOp, float]]:
        """The given bounds as (op, bound), in the order of ``NUM_OPS``."""
        out: list[tuple[NumOp, float]] = []
        for op in NUM_OPS:
            bound = getattr(self, op)
            if bound is not None:
                out.append((op, float(bound)))
        return out

    @staticmethod
    def compare(op: NumOp, value: Any, bound: float) -> Any:
        """``value <op> bound``: a bool for a number, a condition for durable_rules' expression objects.

        The rule engine, the WHY-NOT evaluator and the graph's fact tests all
        compare through here, so they cannot disagree on what a bound means.
        """
        return _COMPARE[op](value, bound)

    def holds(self, value: float) -> bool:
        """Whether every bound holds for ``value``."""
        return all(self.compare(op, value, bound) for op, bound in self.bounds())


class Condition(_Strict):
    """Matches one fact: a signal on a canonical metric, a derived fact, or a tool observation."""

    signal: str | None = Field(default=None, description="canonical metric id from the knowledge graph")
    fact: str | None = Field(default=None, pattern=_ID, description="derived fact concluded by another rule")
    observation: str | None = Field(default=None, description="observation produced by a planner tool")
    shape: list[Shape] | None = None
    direction: Direction | None = None
    baseline: NumTest | None = None
    anomaly: NumTest | None = None
    delta: NumTest | None = None
    ratio: NumTest | None = None
    score: NumTest | None = None
    peak: NumTest | None = None
    confidence: NumTest | None = None
    certainty: NumTest | None = Field(default=None, description="test on a derived fact's certainty")
    where: dict[str, NumTest | str | bool] = Field(
        default_factory=dict, description="tests on an observation's attributes"
    )

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        subjects = [s for s in (self.signal, self.fact, self.observation) if s is not None]
        if len(subjects) != 1:
            raise ValueError("a condition names exactly one of signal, fact, observation")
        return self


class When(_Strict):
    all: list[Condition] = Field(default_factory=empty_list)
    any: list[Condition] = Field(default_factory=empty_list)
    none: list[Condition] = Field(default_factory=empty_list)

    @model_validator(mode="after")
    def _positive(self) -> When:
        if not self.all and not self.any:
            raise ValueError("a rule needs at least one `all` or `any` condition")
        return self


class Then(_Strict):
    cause: str | None = Field(default=None, pattern=_ID, description="a cause id in the knowledge graph")
    fact: str | None = Field(default=None, pattern=_ID, description="a derived fact for other rules")

    @model_validator(mode="after")
    def _one(self) -> Then:
        if (self.cause is None) == (self.fact is None):
            raise ValueError("a conclusion is exactly one of cause or fact")
        return self


class RuleTest(_Strict):
    """An inline test: the incident file (relative to the rule file) and what must be concluded."""

    incident: str
    expect: list[str] = Field(default_factory=empty_list, description="causes that must be concluded")
    expect_not: list[str] = Field(default_factory=empty_list, description="causes that must not be concluded")
    top: str | None = Field(default=None, description="the cause that must rank first")


class RuleSpec(_Strict):
    id: str = Field(pattern=_ID)
    title: str
    description: str = ""
    engines: list[Engine] = Field(default_factory=empty_list, description="empty means every engine")
    when: When
    then: Then
    certainty: float = Field(gt=0.0, le=1.0, description="MYCIN certainty factor of the rule")
    salience: int = Field(default=0, description="higher fires first")
    tests: list[RuleTest] = Field(default_factory=empty_list)


class RulePack(_Strict):
    pack: str = Field(pattern=_ID)
    description: str = ""
    engines: list[Engine] = Field(default_factory=empty_list)
    rules: list[RuleSpec]


PackKind = Literal["mysql", "postgres", "common"]
