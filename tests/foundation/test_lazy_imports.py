"""The packages a diagnosis passes through load their heavier parts on first use, and every name still resolves."""

from __future__ import annotations

import importlib

import pytest

from tests.fresh import fresh_python

# What printing one diagnosis as JSON does not need, and each costs milliseconds at every start.
_NOT_ON_THE_JSON_PATH = (
    "models.planning",
    "models.schema",
    "rules.evaluation",
    "sleuth.history.records",
    "sleuth.render.markdown_report",
    "sleuth.render.parts",
    "sleuth.render.text",
    "yaml",
)


def test_the_json_path_imports_none_of_the_deferred_modules() -> None:
    code = (
        "import sys\n"
        "import models, sources.yamlfile, sleuth.history.location\n"
        "from sleuth.render import json_record\n"
        f"print(','.join(m for m in {_NOT_ON_THE_JSON_PATH!r} if m in sys.modules))\n"
    )
    assert fresh_python(code).strip() == ""


@pytest.mark.parametrize(
    ("package", "name", "module", "attr"),
    [
        ("sleuth.render", "markdown", "sleuth.render.markdown_report", "report"),
        ("sleuth.render", "evaluation_table", "rules.evaluation", "format_table"),
        ("sleuth.render", "evidence_view", "sleuth.render.parts", "evidence"),
        ("sleuth.render", "json_record", "sleuth.render.records", "json_record"),
        ("sleuth.render", "table_row", "sleuth.render.text", "table_row"),
        ("sleuth.history", "VerdictKind", "sleuth.history.records", "VerdictKind"),
        ("sleuth.history", "History", "sleuth.history.desk", "History"),
        ("models", "Plan", "models.planning", "Plan"),
        ("models", "json_schema", "models.schema", "json_schema"),
    ],
)
def test_a_deferred_name_is_the_object_its_module_defines(
    package: str, name: str, module: str, attr: str
) -> None:
    assert getattr(importlib.import_module(package), name) is getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("package", ["models", "sleuth.history", "sleuth.render"])
def test_every_exported_name_resolves(package: str) -> None:
    mod = importlib.import_module(package)
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert missing == []


@pytest.mark.parametrize("package", ["models", "sleuth.history", "sleuth.render"])
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    mod = importlib.import_module(package)
    assert not hasattr(mod, "no_such_name")
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = mod.no_such_name
