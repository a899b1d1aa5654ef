"""Settings from the config file, ``SLEUTH_*`` variables and flags, with one-line errors naming the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.backends import make_model
from planner.backends.llama import LlamaModel
from planner.backends.openai_http import OpenAIHTTPModel
from sleuth import DiagnoseOptions, Settings, SettingsError, Sleuth, UsageError, config_file, load_settings


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from an empty config directory and no SLEUTH_ variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("SLEUTH_CONFIG", "SLEUTH_MAX_FILE_MB", "SLEUTH_PLANNER__THREADS", "SLEUTH_DSN"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings()
    cfg = settings.planner
    assert (cfg.backend, cfg.threads, cfg.seed, cfg.strategy, cfg.mode) == ("llama", 2, 0, "choose", "auto")
    assert (settings.max_file_mb, settings.keymap, settings.rules) == (64.0, {}, [])
    assert isinstance(make_model(cfg), LlamaModel)


def test_the_default_file_is_in_the_xdg_config_directory(tmp_path: Path) -> None:
    path = write(tmp_path / "xdg" / "sleuth", "max_file_mb = 8\n")
    assert config_file() == (path, False)
    assert load_settings().max_file_mb == 8.0


def test_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path,
        '[planner]\nbackend = "openai"\nbase_url = "http://gpu:8000/v1"\nthreads = 4\n'
        "[planner.budget]\nsteps = 3\n",
    )
    cfg = load_settings(path).planner
    assert (cfg.backend, cfg.base_url, cfg.threads, cfg.budget.steps) == (
        "openai",
        "http://gpu:8000/v1",
        4,
        3,
    )
    assert isinstance(make_model(cfg), OpenAIHTTPModel)
    monkeypatch.setenv("SLEUTH_PLANNER__THREADS", "3")
    assert load_settings(path).planner.threads == 3
    assert load_settings(path).planner.budget.steps == 3  # the rest of the file's table stays
    assert load_settings(path, planner={"threads": 1}).planner.threads == 1


def test_sleuth_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, 'keymap = {"sleuth.quit" = "ctrl+q"}\n', name="elsewhere.toml")
    monkeypatch.setenv("SLEUTH_CONFIG", str(path))
    assert load_settings().keymap == {"sleuth.quit": "ctrl+q"}
    monkeypatch.setenv("SLEUTH_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value) == f"{tmp_path / 'absent.toml'}: no such config file"


def test_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, '[planner]\nthreads = "many"\n')
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert (
        str(err.value)
        == f"{path}: planner.threads: Input should be a valid integer, unable to parse string as an integer"
    )
    with pytest.raises(SettingsError, match="no such config file"):
        load_settings(tmp_path / "missing.toml")
    bad = write(tmp_path, "[planner\n", name="bad.toml")
    with pytest.raises(SettingsError) as err:
        load_settings(bad)
    assert str(err.value).startswith(f"{bad}: not valid TOML: ")
    unknown = write(tmp_path, "[planer]\nthreads = 1\n", name="typo.toml")
    with pytest.raises(SettingsError) as err:
        load_settings(unknown)
    assert str(err.value) == f"{unknown}: planer: unknown setting"


def test_an_environment_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_MAX_FILE_MB", "lots")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert (
        str(err.value)
        == "$SLEUTH_MAX_FILE_MB: Input should be a valid number, unable to parse string as a number"
    )


def test_a_keymap_entry_must_name_keys(tmp_path: Path) -> None:
    path = write(tmp_path, '[keymap]\n"sleuth.quit" = " "\n')
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert str(err.value) == f"{path}: keymap: sleuth.quit must be a non-empty key string"


def test_a_missing_model_file_is_a_usage_error(tmp_path: Path) -> None:
    app = Sleuth(Settings())
    with pytest.raises(UsageError) as err:
        app.planner_config(DiagnoseOptions(llm="auto", model=str(tmp_path / "nope.gguf")))
    assert str(err.value) == f"planner.model_path: no such model file: {tmp_path / 'nope.gguf'}"
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert app.planner_config(DiagnoseOptions(llm="auto", model=str(model))).model_path == model
