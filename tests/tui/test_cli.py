"""``sleuth tui`` argument handling: usage errors exit 2 with one line, and the app is built as run."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sleuth import Sleuth
from tui.app.app import SleuthApp
from tui.cli import main
from tui.cli.ui import build_app


def test_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["tui", str(tmp_path / "absent")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'absent'}: no such file or directory\n"


def test_bad_keymap_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"sleuth.quit" = 1\n')
    assert main(["tui", str(tmp_path), "--config", str(config)]) == 2
    assert (
        capsys.readouterr().err == f"sleuth: {config}: keymap.sleuth.quit: Input should be a valid string\n"
    )


def test_build_app_uses_the_service_the_path_the_rules_and_the_keymap(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"sleuth.quit" = "ctrl+q"\n')
    args = argparse.Namespace(path=str(tmp_path), config=config, rules=[tmp_path / "rules"])
    app = build_app(args)
    assert isinstance(app, SleuthApp)
    assert isinstance(app.state.services, Sleuth)
    assert app.state.services.rules.sources() == [tmp_path / "rules"]
    assert app.state.root == tmp_path
    assert app.user_keymap == {"sleuth.quit": "ctrl+q"}
