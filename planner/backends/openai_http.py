"""An OpenAI-compatible ``/v1/completions`` endpoint (llama.cpp server, vLLM) for people who serve a bigger model.

The raw completions API, not chat, so the same few-shot prompts work for base
and instruct models. The schema constraint is passed in the server's own
extension field (``json_schema`` for llama.cpp server, ``guided_json`` for
vLLM), configurable because OpenAI's API has none. ``choose`` is constrained
generation of one of the options as a JSON string: portable servers offer no
way to score a given continuation. The API key is read from the environment
variable the config names and only ever placed in the request header.

With ``on_token`` the request asks for server-sent events (``stream: true``,
with ``stream_options.include_usage`` for the token counts, which llama.cpp
server and vLLM send in the last event); cancellation is then checked between
events, so it stops a long answer early instead of after it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from planner.backends.base import Choice, Completion, ModelCancelled, ModelError


class OpenAIHTTPModel:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        timeout_s: float = 60.0,
        seed: int = 0,
        schema_field: str = "json_schema",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = f"openai-http:{model}"
        self.model = model
        self.seed = seed
        self.schema_field = schema_field
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env, "") if api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout_s, transport=transport
        )

    def close(self) -> None:
        self._client.close()

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        grammar_schema: dict[str, Any] | None = None,
        stop: tuple[str, ...] = (),
        cancel: threading.Event | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "seed": self.seed,
        }
        if stop:
            body["stop"] = list(stop)
        if grammar_schema is not None:
            body[self.schema_field] = grammar_schema
        if cancel is not None and cancel.is_set():
            raise ModelCancelled("cancelled before the request")
        if on_token is not None:
            return self._stream(body, on_token, cancel)
        started = time.perf_counter()
        try:
            response = self._client.post("completions", json=body)
        except httpx.HTTPError as exc:
            raise ModelError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        elapsed = (time.perf_counter() - started) * 1000.0
        if response.status_code != 200:
            raise ModelError(f"{self.name}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            data = response.json()
            text = str(data["choices"][0]["text"])
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelError(f"{self.name}: unexpected response shape: {exc}") from None
        if cancel is not None and cancel.is_set():
            raise ModelCancelled("cancelled during the request")
        return Completion(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            elapsed_ms=elapsed,
        )

    def _stream(
        self, body: dict[str, Any], on_token: Callable[[str], None], cancel: threading.Event | None
    ) -> Completion:
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        pieces: list[str] = []
        usage: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            with self._client.stream("POST", "completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise ModelError(f"{self.name}: HTTP {response.status_code}: {response.text[:200]}")
                for line in response.iter_lines():
                    if cancel is not None and cancel.is_set():
                        raise ModelCancelled("cancelled during the request")
                    if not line.startswith("data:"):
                        continue  # blank separators, comments, "event:" lines
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        break
                    piece, chunk_usage = self._event(data)
                    usage = chunk_usage or usage
                    if piece:
                        pieces.append(piece)
                        on_token(piece)
        except httpx.HTTPError as exc:
            raise ModelError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        return Completion(
            text="".join(pieces),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            elapsed_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _event(self, data: str) -> tuple[str, dict[str, Any]]:
        """One event's text and usage; the usage-only last event has no choices."""
        try:
            event = json.loads(data)
            choices = event.get("choices") or []
            text = str(choices[0].get("text") or "") if choices else ""
            usage = event.get("usage") or {}
        except (ValueError, AttributeError, IndexError, TypeError) as exc:
            raise ModelError(f"{self.name}: unexpected stream event: {exc}") from None
        if not isinstance(usage, dict):
            raise ModelError(f"{self.name}: unexpected stream event: usage is not an object")
        return text, usage

    def choose(self, prompt: str, options: list[str], *, cancel: threading.Event | None = None) -> Choice:
        longest = max(len(o) for o in options)
        out = self.complete(
            prompt + " ",
            max_tokens=longest // 2 + 8,
            grammar_schema={"enum": list(options)},
            cancel=cancel,
        )
        text = out.text.strip()
        try:
            picked = json.loads(text)
        except ValueError:
            picked = text
        if picked not in options:
            raise ModelError(f"{self.name}: answer {text[:60]!r} is not one of the options")
        return Choice(
            option=str(picked),
            scores={str(picked): 0.0},
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            elapsed_ms=out.elapsed_ms,
        )
