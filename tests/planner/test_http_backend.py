from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest

from planner.backends.base import ModelCancelled, ModelError
from planner.backends.openai_http import OpenAIHTTPModel

SECRET = "sk-test-not-for-logs"


class Server:
    """Records requests and answers like an OpenAI-compatible /v1/completions endpoint."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0)

    def body(self, i: int) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.requests[i].content)
        return data


def ok(text: str, prompt_tokens: int = 7, completion_tokens: int = 3) -> httpx.Response:
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
    return httpx.Response(200, json={"choices": [{"text": text}], "usage": usage})


def model(server: Server, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> OpenAIHTTPModel:
    monkeypatch.setenv("SLEUTH_TEST_KEY", SECRET)
    return OpenAIHTTPModel(
        "http://llm.local/v1",
        "big",
        api_key_env="SLEUTH_TEST_KEY",
        transport=httpx.MockTransport(server),
        **kw,
    )


def test_complete_posts_a_deterministic_request_with_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(ok('{"checks": ["lock_waits"]}'))
    out = model(server, monkeypatch).complete(
        "P", max_tokens=40, grammar_schema={"type": "object"}, stop=("\n\n",)
    )
    assert (out.text, out.prompt_tokens, out.completion_tokens) == ('{"checks": ["lock_waits"]}', 7, 3)
    req = server.requests[0]
    assert str(req.url) == "http://llm.local/v1/completions"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert server.body(0) == {
        "model": "big",
        "prompt": "P",
        "max_tokens": 40,
        "temperature": 0.0,
        "seed": 0,
        "stop": ["\n\n"],
        "json_schema": {"type": "object"},
    }


def test_vllm_schema_field(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(ok("{}"))
    model(server, monkeypatch, schema_field="guided_json").complete(
        "P", max_tokens=5, grammar_schema={"a": 1}
    )
    assert server.body(0)["guided_json"] == {"a": 1}


def test_choose_constrains_to_the_options_and_parses_the_json_string(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(ok('"io_saturation"'))
    choice = model(server, monkeypatch).choose("Cause:", ["cpu_saturation", "io_saturation"])
    assert choice.option == "io_saturation"
    assert server.body(0)["json_schema"] == {"enum": ["cpu_saturation", "io_saturation"]}


def test_choose_rejects_an_answer_outside_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(ok('"drop_table"'))
    with pytest.raises(ModelError, match="is not one of the options"):
        model(server, monkeypatch).choose("Cause:", ["cpu_saturation"])


def test_http_errors_are_model_errors_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(httpx.Response(401, text="bad key"), httpx.Response(200, json={"nope": 1}))
    m = model(server, monkeypatch)
    with pytest.raises(ModelError) as first:
        m.complete("P", max_tokens=5)
    with pytest.raises(ModelError) as second:
        m.complete("P", max_tokens=5)
    assert str(first.value) == "openai-http:big: HTTP 401: bad key"
    assert str(second.value).startswith("openai-http:big: unexpected response shape")
    assert SECRET not in str(first.value) + str(second.value) + m.name


def test_transport_failure_is_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    m = OpenAIHTTPModel("http://llm.local/v1", "big", transport=httpx.MockTransport(refuse))
    with pytest.raises(ModelError, match="ConnectError: connection refused"):
        m.complete("P", max_tokens=5)


def sse(*events: dict[str, Any] | str) -> httpx.Response:
    """A server-sent-events body as llama.cpp server and vLLM stream ``/v1/completions``."""
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return httpx.Response(200, content="".join(lines).encode(), headers={"content-type": "text/event-stream"})


def test_streaming_passes_each_event_on_and_keeps_the_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(
        sse(
            {"choices": [{"text": '{"checks": '}]},
            {"choices": [{"text": ""}]},
            {"choices": [{"text": '["lock_waits"]}', "finish_reason": "stop"}]},
            {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 6}},
            "[DONE]",
        )
    )
    pieces: list[str] = []
    out = model(server, monkeypatch).complete("P", max_tokens=40, on_token=pieces.append)
    assert pieces == ['{"checks": ', '["lock_waits"]}']
    assert (out.text, out.prompt_tokens, out.completion_tokens) == ('{"checks": ["lock_waits"]}', 11, 6)
    body = server.body(0)
    assert (body["stream"], body["stream_options"]) == (True, {"include_usage": True})


def test_streaming_stops_at_the_next_event_once_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    cancel = threading.Event()
    server = Server(sse({"choices": [{"text": "one "}]}, {"choices": [{"text": "two"}]}, "[DONE]"))
    pieces: list[str] = []

    def take(piece: str) -> None:
        pieces.append(piece)
        cancel.set()

    with pytest.raises(ModelCancelled, match="cancelled during the request"):
        model(server, monkeypatch).complete("P", max_tokens=5, cancel=cancel, on_token=take)
    assert pieces == ["one "]


def test_streaming_http_error_and_bad_event_are_model_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(httpx.Response(503, text="loading model"), sse("{not json"))
    m = model(server, monkeypatch)
    with pytest.raises(ModelError) as first:
        m.complete("P", max_tokens=5, on_token=lambda _t: None)
    with pytest.raises(ModelError) as second:
        m.complete("P", max_tokens=5, on_token=lambda _t: None)
    assert str(first.value) == "openai-http:big: HTTP 503: loading model"
    assert str(second.value).startswith("openai-http:big: unexpected stream event")
