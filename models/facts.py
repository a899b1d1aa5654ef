"""Facts: the typed statements the rule engine reasons over.

A signal fact is what ``rules.signals`` makes of one metric (baseline vs the
anomaly window); a derived fact is what a rule concludes for other rules to
match (forward chaining); an observation is what a planner tool found.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FactKind = Literal["signal", "derived", "observation"]
Shape = Literal["spike", "drop", "level_shift", "trend", "saturation", "flat"]
Direction = Literal["up", "down", "none"]

# The attributes every signal fact carries; rule conditions may test these.
SIGNAL_NUMERIC_FIELDS: tuple[str, ...] = (
    "baseline",  # median outside the window
    "anomaly",  # median inside the window
    "delta",  # anomaly - baseline
    "ratio",  # anomaly / baseline (baseline floored to avoid division by ~0)
    "score",  # robust z: delta / (1.4826 * MAD of baseline), signed
    "peak",  # max inside the window
    "confidence",  # 0..1, how sure the change is real (drives MYCIN premises)
)
SIGNAL_STRING_FIELDS: tuple[str, ...] = ("shape", "direction")


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FactKind
    name: str = Field(description="canonical metric (signal), derived fact name, or observation name")
    attrs: dict[str, float | str | bool] = Field(default_factory=dict)
    certainty: float = Field(default=1.0, ge=0.0, le=1.0)
    source: str = Field(default="signals", description="signals, a rule id, or a plan step id")
    text: str = Field(default="", description="one human sentence quoting the numbers")
