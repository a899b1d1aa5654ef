"""The planner's settings: the ``[planner]`` table of sleuth's config file, as one validated object.

The application's settings (``sleuth.Settings``) embed it and read it from the
file and the environment; the planner only ever sees the validated result.
Secrets never live here: the HTTP backend names the environment variable that
holds its key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Backend = Literal["llama", "openai", "scripted"]
Strategy = Literal["choose", "json"]
Mode = Literal["auto", "never", "always"]


class BudgetLimits(BaseModel):
    """Hard limits on one investigation; the defaults keep a fallback under ~30 s on 2 cores."""

    model_config = ConfigDict(extra="forbid")

    steps: int = Field(default=8, ge=1, description="tool calls")
    model_calls: int = Field(default=6, ge=1)
    tokens: int = Field(default=6000, ge=1, description="prompt + completion tokens of all model calls")
    wall_s: float = Field(default=60.0, gt=0)


class PlannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Backend = "llama"
    model_path: Path | None = Field(
        default=None, description="a GGUF file; default: the bundled Gemma 3 270M"
    )
    threads: int = Field(default=2, ge=1)
    n_ctx: int = Field(default=2048, ge=256)
    seed: int = 0
    base_url: str = "http://127.0.0.1:8080/v1"
    model_name: str = "default"
    api_key_env: str = Field(default="SLEUTH_API_KEY", description="environment variable holding the key")
    http_timeout_s: float = Field(default=60.0, gt=0)
    http_schema_field: Literal["json_schema", "guided_json"] = Field(
        default="json_schema", description="llama.cpp server: json_schema; vLLM: guided_json"
    )
    strategy: Strategy = Field(
        default="choose",
        description="choose: one constrained choice per decision; json: schema-constrained JSON",
    )
    choice_method: Literal["grammar", "likelihood"] = Field(
        default="likelihood",
        description="llama.cpp choose: enum-grammar greedy pick, or every option's likelihood",
    )
    mode: Mode = "auto"
    certainty_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    model_certainty_factor: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="the model counts as a rule with this certainty factor; 1.0 trusts it like a certain rule",
    )
    contradiction_margin: float = Field(default=0.1, ge=0.0, le=1.0)
    max_candidates: int = Field(default=6, ge=1)
    max_checks: int = Field(default=6, ge=1, description="options shown to the model")
    plan_size: int = Field(default=3, ge=1, le=10, description="checks chosen for the first layer")
    step_timeout_s: float = Field(default=10.0, gt=0)
    parallel: int = Field(default=4, ge=1)
    budget: BudgetLimits = Field(default_factory=BudgetLimits)

    @field_validator("model_path")
    @classmethod
    def _model_exists(cls, path: Path | None) -> Path | None:
        """A mistyped ``--model`` is a usage error now, not a fallback failure on the first incident."""
        if path is not None and not path.expanduser().is_file():
            raise ValueError(f"no such model file: {path}")
        return path.expanduser() if path is not None else None
