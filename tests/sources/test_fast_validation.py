"""An incident file's fast validation accepts what the model accepts, as the same incident, and
refuses what it refuses, which the reader then words as the model does."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import Incident
from models.incident import validate_json_file
from sources.errors import IncidentError, describe_validation
from sources.incident_files import load_incident


class Token(str):
    """A number written as it is spelled, not as a JSON string."""


# Numbers as a file may spell them: ordinary, huge (read as infinite), NaN and the infinities.
_FINITE = st.integers(-5, 40).map(float)
_NUMBER = st.one_of(
    _FINITE,
    _FINITE,
    _FINITE,
    st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1e308"]).map(Token),
)
_SAMPLE = st.one_of(st.none(), _NUMBER)


def _text(value: Any) -> str:
    """JSON text, each ``Token`` written bare."""
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_text(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@st.composite
def incident_texts(draw: st.DrawFn) -> str:
    """Incidents near the edges the series' checks guard: shared or own clocks (sorted or not,
    of the right length or not), finite or non-finite samples, repeated names."""
    n = draw(st.integers(0, 5))
    clock = draw(
        st.sampled_from([None, [float(t) for t in range(1, n + 1)]] + [[float(t) for t in range(n)]] * 2)
    )
    metrics = []
    for i in range(draw(st.integers(0, 3))):
        length = draw(st.sampled_from([n, n, n, max(n - 1, 0), n + 1]))
        series: dict[str, Any] = {
            "name": draw(st.sampled_from([f"m{i}", f"m{i}", f"m{i}", "m0"])),
            "values": draw(st.lists(_SAMPLE, min_size=length, max_size=length)),
        }
        own = draw(st.sampled_from(["none", "none", "empty", "sorted", "shuffled", "drawn"]))
        if own == "empty":
            series["timestamps"] = []
        elif own == "sorted":
            series["timestamps"] = [float(t) for t in range(10, 10 + draw(st.sampled_from([length, n])))]
        elif own == "shuffled":
            series["timestamps"] = draw(st.permutations([float(t) for t in range(length)]))
        elif own == "drawn":
            series["timestamps"] = draw(st.lists(_NUMBER, min_size=length, max_size=length))
        metrics.append(series)
    data: dict[str, Any] = {"id": "x", "instance": {"engine": "mysql"}, "metrics": metrics}
    if clock is not None:
        data["timestamps"] = clock
    return _text(data)


def _outcome(validate: Any, text: str) -> tuple[Any, ...]:
    try:
        incident = validate(text)
    except ValueError:
        return ("refused",)
    return (
        incident.model_dump(),
        incident.model_fields_set,
        [(m.model_fields_set, m.timestamps is incident.timestamps) for m in incident.metrics],
    )


@settings(max_examples=400, deadline=None)
@given(text=incident_texts())
def test_fast_validation_accepts_exactly_what_the_model_accepts(text: str) -> None:
    expected = _outcome(Incident.model_validate_json, text)
    assert _outcome(validate_json_file, text) == expected
    if expected != ("refused",):
        assert not any(
            v is not None and not math.isfinite(v) for m in validate_json_file(text).metrics for v in m.values
        )


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ({"name": "a", "values": [1, Token("1e400"), 3]}, "metrics.0.values: value at index 1 is inf"),
        ({"name": "a", "timestamps": [1, 3, 2], "values": [1, 2, 3]}, "metrics.0.timestamps: unsorted"),
        ({"name": "a", "timestamps": [1, 2], "values": [1, 2, 3]}, "metrics.0: series 'a' has 2 timestamps"),
    ],
)
def test_a_refused_file_is_worded_as_the_model_words_it(
    tmp_path: Path, series: dict[str, Any], message: str
) -> None:
    text = _text({"id": "x", "instance": {"engine": "mysql"}, "metrics": [series]})
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValidationError) as by_model:
        Incident.model_validate(json.loads(text))
    with pytest.raises(IncidentError) as by_reader:
        load_incident(path)
    assert str(by_reader.value) == f"{path}: {describe_validation(by_model.value)}"
    assert describe_validation(by_model.value).startswith(message)
