"""JSON Schemas of the file formats people edit, so editors can autocomplete them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from models.diagnosis import Diagnosis
from models.fleet import Fleet
from models.incident import Incident
from models.planning import Plan
from models.rulespec import RulePack

SCHEMAS: dict[str, type[BaseModel]] = {
    "incident": Incident,
    "rules": RulePack,
    "diagnosis": Diagnosis,
    "plan": Plan,
    "fleet": Fleet,
}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one format; ``KeyError`` names the unknown one."""
    model = SCHEMAS[name]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", model.__name__)
    return schema
