from __future__ import annotations

from pathlib import Path

import pytest

from planner.backends import make_model
from planner.backends.llama import LlamaModel
from planner.backends.openai_http import OpenAIHTTPModel
from planner.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLEUTH_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = load_config()
    assert (cfg.backend, cfg.threads, cfg.seed, cfg.strategy, cfg.mode) == ("llama", 2, 0, "choose", "auto")
    assert isinstance(make_model(cfg), LlamaModel)


def test_file_then_flags(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[planner]\nbackend = "openai"\nbase_url = "http://gpu:8000/v1"\nthreads = 4\n'
        "[planner.budget]\nsteps = 3\n[other]\nx = 1\n",
    )
    cfg = load_config(path, threads=1, model_path=None)
    assert (cfg.backend, cfg.base_url, cfg.threads, cfg.budget.steps) == (
        "openai",
        "http://gpu:8000/v1",
        1,
        3,
    )
    assert isinstance(make_model(cfg), OpenAIHTTPModel)


def test_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, '[planner]\nthreads = "many"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert (
        str(err.value)
        == f"{path}: planner.threads: Input should be a valid integer, unable to parse string as an integer"
    )
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml")
    bad = write(tmp_path, "[planner\n")
    with pytest.raises(ConfigError, match=str(bad)):
        load_config(bad)


def test_a_missing_model_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[planner]\n"), model_path=tmp_path / "nope.gguf")
    assert str(err.value).endswith(
        f"planner.model_path: Value error, no such model file: {tmp_path / 'nope.gguf'}"
    )
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert load_config(write(tmp_path, "[planner]\n"), model_path=model).model_path == model
