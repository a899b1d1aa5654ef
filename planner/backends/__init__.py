"""Model backends behind one protocol; ``make_model`` picks one from the config."""

from __future__ import annotations

from planner.backends.base import Choice, Completion, Model, ModelCancelled, ModelError
from planner.config import PlannerConfig


def make_model(config: PlannerConfig) -> Model:
    """The configured backend; the llama one loads its weights lazily, on the first call."""
    if config.backend == "openai":
        from planner.backends.openai_http import OpenAIHTTPModel

        return OpenAIHTTPModel(
            config.base_url,
            config.model_name,
            api_key_env=config.api_key_env,
            timeout_s=config.http_timeout_s,
            seed=config.seed,
            schema_field=config.http_schema_field,
        )
    if config.backend == "scripted":
        from planner.backends.scripted import ScriptedModel

        return ScriptedModel()
    from planner.backends.llama import LlamaModel

    return LlamaModel(
        config.model_path,
        threads=config.threads,
        n_ctx=config.n_ctx,
        seed=config.seed,
        choice=config.choice_method,
    )


__all__ = ["Choice", "Completion", "Model", "ModelCancelled", "ModelError", "make_model"]
