"""The graph and rule book kept on disk: the same diagnoses, never stale, never an error of its own."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from sleuth import DiagnoseOptions, Settings, Sleuth, UsageError, load_settings
from sleuth._compiled import KEEP
from tests.service.tiny import PACK, TINY_GRAPH, incident

NEVER = DiagnoseOptions(llm="never")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SLEUTH_CACHE_DIR", str(folder))
    return folder


def pack(tmp_path: Path, certainty: str = "0.9", name: str = "tiny.yaml") -> Path:
    path = tmp_path / "rules" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(PACK.replace("certainty: 0.9", f"certainty: {certainty}"))
    return path


def diagnosed(rules: Path) -> dict[str, Any]:
    dx = Sleuth(Settings(graph=[TINY_GRAPH], rules=[rules])).diagnose(incident("cpu", 60.0), NEVER)
    return dx.model_dump(exclude={"elapsed_ms"})


def certainty(rules: Path) -> float:
    return Sleuth(Settings(graph=[TINY_GRAPH], rules=[rules])).rules.describe().packs[0].rules[0].certainty


def entries(cache: Path) -> list[str]:
    return sorted(p.name.split("-")[0] for p in cache.iterdir())


def test_a_second_process_diagnoses_from_the_entries_without_reading_the_files(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = pack(tmp_path)
    first = diagnosed(rules)
    assert entries(cache) == ["graph", "rules"]
    assert first["causes"][0]["cause"] == "c_cpu"

    def unread(*_args: object) -> None:
        raise AssertionError("a cached file was parsed again")

    monkeypatch.setattr("knowledge_graph._loader.read_yaml", unread)
    monkeypatch.setattr("rules.book.read_pack", unread)
    assert diagnosed(rules) == first


def test_an_edited_rule_file_is_read_again(cache: Path, tmp_path: Path) -> None:
    rules = pack(tmp_path, "0.9")
    first = diagnosed(rules)["causes"][0]["certainty"]
    assert certainty(rules) == 0.9
    pack(tmp_path, "0.6")
    assert certainty(rules) == 0.6
    assert diagnosed(rules)["causes"][0]["certainty"] < first
    assert entries(cache) == ["graph", "rules", "rules"]


def test_a_corrupt_entry_is_loaded_again_and_replaced(cache: Path, tmp_path: Path) -> None:
    rules = pack(tmp_path)
    first = diagnosed(rules)
    for entry in cache.iterdir():
        entry.write_bytes(b"not a pickle")
    assert diagnosed(rules) == first
    for entry in cache.iterdir():
        assert pickle.loads(entry.read_bytes()) is not None


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SLEUTH_CACHE_DIR", str(blocker / "cache"))
    rules = pack(tmp_path)
    assert diagnosed(rules)["causes"][0]["cause"] == "c_cpu"
    assert blocker.read_text() == ""


def test_rules_with_problems_are_reported_from_the_files_and_not_kept(cache: Path, tmp_path: Path) -> None:
    rules = pack(tmp_path)
    rules.write_text(PACK.replace("c_cpu", "c_unknown"))
    app = Sleuth(Settings(graph=[TINY_GRAPH], rules=[rules]))
    with pytest.raises(UsageError, match="c_unknown"):
        app.book()
    assert entries(cache) == ["graph"]


def test_old_entries_are_removed_as_new_ones_are_written(cache: Path, tmp_path: Path) -> None:
    rules = pack(tmp_path)
    for i in range(KEEP + 3):
        pack(tmp_path, f"0.{i + 1}")
        Sleuth(Settings(graph=[TINY_GRAPH], rules=[rules])).book()
    assert entries(cache) == ["graph"] + ["rules"] * KEEP


def test_a_device_named_as_rules_is_refused_without_being_read(cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "zero.yaml"
    bad.symlink_to("/dev/zero")
    app = Sleuth(Settings(graph=[TINY_GRAPH], rules=[bad]))
    with pytest.raises(UsageError, match="not a regular file"):
        app.book()
    assert entries(cache) == ["graph"]


def test_the_configured_folder_holds_the_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLEUTH_CACHE_DIR", raising=False)
    folder = tmp_path / "configured"
    settings = load_settings(write_config(tmp_path, f'cache_dir = "{folder}"\ngraph = ["{TINY_GRAPH}"]\n'))
    app = Sleuth(settings.model_copy(update={"rules": [pack(tmp_path)]}))
    assert app.diagnose(incident("cpu", 60.0), NEVER).causes[0].cause == "c_cpu"
    assert entries(folder) == ["graph", "rules"]


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path
