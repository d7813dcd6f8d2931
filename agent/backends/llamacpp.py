"""``LlamaCppBackend``: the embedded default, a GGUF model run in-process by llama-cpp-python.

* One ``Llama`` per model file (and context size) per process, shared by every backend that names
  it, behind a lock (a ``Llama`` is not thread-safe). ``acomplete`` runs in a worker thread.
* The agent renders prompts append-only, so llama.cpp reuses the KV cache of the common prefix;
  ``Completion.prompt_tokens_evaluated`` is the number of prompt tokens actually evaluated,
  measured at the ``eval`` call (not estimated).
* Grammars are validated by ``corral.prompts.validate_grammar`` before ``LlamaGrammar`` sees them
  (an invalid GBNF grammar crashes the process); on by default when the agent has tools.
* ``detect_format()`` picks the chat format from the GGUF metadata: Llama 3.2 / 3.1 / 3 by name
  and template, otherwise the model's own embedded Jinja template.

``llama_cpp`` is imported here only, lazily.

Example::

    >>> from corral import Agent, LlamaCppBackend
    >>> backend = LlamaCppBackend("Llama-3.2-1B-Instruct-Q4_K_M.gguf", n_ctx=4096)   # doctest: +SKIP
    >>> Agent(backend).run("Hello!").output                                          # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corral.exceptions import BackendError, MissingExtraError

from .base import Completion, CompletionDelta

__all__ = ["LlamaCppBackend", "detect_format_name"]


@dataclass
class _Loaded:
    """A loaded model, its lock, and what the instrumented eval/sample calls saw during one completion."""

    llm: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    evals: list[int] = field(default_factory=list)
    first_eval_start: int = 0
    last_token: int | None = None
    samples: int = 0
    grammars: dict[str, Any] = field(default_factory=dict)

    def begin(self) -> None:
        self.evals.clear()
        self.last_token = None
        self.samples = 0


_MODELS: dict[tuple[str, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise MissingExtraError("LlamaCppBackend needs llama-cpp-python: pip install llama-cpp-python") from exc
    return llama_cpp


def _instrument(loaded: _Loaded) -> None:
    # Count the tokens each eval() really processes and remember the last sampled token, so that
    # usage is measured, not estimated, and the stop token (<|eom_id|> vs <|eot_id|>) is known.
    llm = loaded.llm
    eval_fn, sample_fn = llm.eval, llm.sample

    def eval(tokens: Sequence[int]) -> None:
        if not loaded.evals:
            loaded.first_eval_start = llm.n_tokens
        loaded.evals.append(len(tokens))
        return eval_fn(tokens)

    def sample(*args: Any, **kwargs: Any) -> int:
        token = sample_fn(*args, **kwargs)
        loaded.last_token = token
        loaded.samples += 1
        return token

    llm.eval, llm.sample = eval, sample


def _load(path: str, n_ctx: int, n_threads: int, n_batch: int, seed: int | None) -> _Loaded:
    key = (os.path.realpath(path), n_ctx)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            _import_llama_cpp()
            kwargs: dict[str, Any] = {
                "n_ctx": n_ctx,
                "n_threads": n_threads,
                "n_threads_batch": n_threads,
                "n_batch": min(n_batch, n_ctx),
                "verbose": False,
            }
            if seed is not None:
                kwargs["seed"] = seed
            # FastGrammarLlama is a drop-in Llama whose grammar path checks candidates in logit order
            # (tens of microseconds per token instead of milliseconds): same tokens, much faster.
            from .fastgrammar import FastGrammarLlama

            loaded = _Loaded(llm=FastGrammarLlama(model_path=key[0], **kwargs))
            _instrument(loaded)
            _MODELS[key] = loaded
    return loaded


def _until(deadline: float) -> Any:
    """A llama.cpp stopping criterion: generation ends at the first token past ``deadline``."""

    def past(_ids: Any, _logits: Any) -> bool:  # checked after each sampled token
        return time.monotonic() > deadline

    return _import_llama_cpp().StoppingCriteriaList([past])


def detect_format_name(metadata: dict[str, str]) -> str:
    """The chat format a GGUF's metadata implies: ``llama3.2``, ``llama3.1``, ``llama3`` or ``jinja``.

    Example::

        >>> detect_format_name({"general.name": "Llama 3.2 1B Instruct",
        ...                     "tokenizer.chat_template": "<|start_header_id|>..."})
        'llama3.2'
    """
    template = metadata.get("tokenizer.chat_template", "")
    names = " ".join(metadata.get(k, "") for k in ("general.name", "general.basename", "general.finetune")).lower()
    names = names.replace("-", " ").replace("_", " ")
    is_llama3 = "<|start_header_id|>" in template or (
        metadata.get("general.architecture") == "llama" and "llama 3" in names
    )
    if not is_llama3 or "guard" in names:
        return "jinja"
    if "3.2" in names or "llama 3 2" in names:
        return "llama3.2"
    if any(v in names for v in ("3.1", "3.3", "llama 3 1", "llama 3 3")) or "Environment: ipython" in template:
        return "llama3.1"
    return "llama3"


_log = logging.getLogger("corral")
_tiny_warned = threading.Event()


def _warn_tiny_once(path: str) -> None:
    """Say once per process that no real model was found (the CLI announces it the same way)."""
    if not _tiny_warned.is_set():
        _tiny_warned.set()
        _log.warning(
            "corral: no Llama model given or found; using %s, a tiny offline stand-in (135M parameters), "
            "not Llama 3.2: expect weak answers. Pass a GGUF path or set CORRAL_MODEL.",
            Path(path).name,
        )


def _number_steering(grammar: Any) -> tuple[list[Any], list[dict[str, Any]]] | None:
    """(numbers the question writes in parts, offered functions) for a calls-only grammar that
    carries them (corral.prompts.decide.CallGrammar); None when there is nothing to steer."""
    question, functions = getattr(grammar, "question", None), getattr(grammar, "functions", None)
    if not question or not functions or getattr(grammar, "openings", None):
        return None
    from corral.prompts.values import scaled_numbers

    scaled = scaled_numbers(question)
    return (scaled, functions) if scaled else None


class LlamaCppBackend:
    """Runs a GGUF model in-process.

    ``model``: a path or an ``hf:OWNER/REPO/FILE.gguf`` reference (resolved by
    ``corral.backends.model_files.resolve_model``). ``n_threads`` defaults to all cores. ``grammar=False`` turns
    grammar-constrained decoding off. ``temperature=0`` (default) decodes greedily.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        grammar: bool = True,
        temperature: float = 0.0,
        top_p: float = 0.95,
        seed: int | None = None,
    ) -> None:
        from corral.backends.model_files import resolve_model

        self.resolved_model = resolve_model(model)
        self.model_path = str(self.resolved_model.path)
        if self.resolved_model.is_tiny_stand_in:
            _warn_tiny_once(self.model_path)
        self.n_ctx, self.n_threads = n_ctx, n_threads or os.cpu_count() or 1
        self.grammar, self.temperature, self.top_p, self.seed = grammar, temperature, top_p, seed
        self.last_trace: Any = None  # the last auto decision (corral.prompts.decide.Trace), for benchmarks
        self._loaded = _load(self.model_path, n_ctx, self.n_threads, n_batch, seed)

    @property
    def llm(self) -> Any:
        """The shared ``llama_cpp.Llama`` (hold no reference across runs of other agents: it is shared)."""
        return self._loaded.llm

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text`` with this model's own tokenizer (no BOS), e.g. for token-aware chunking."""
        with self._loaded.lock:
            return list(self._loaded.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    # The agent's run deadline is passed in (``deadline=``, a time.monotonic() instant): generation
    # stops at the first token after it. The prompt's evaluation cannot be interrupted from outside.
    accepts_deadline = True

    @property
    def wants_grammar(self) -> bool:
        return self.grammar

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self._loaded.llm.metadata or {})

    def detect_format(self) -> Any:
        """The chat format for this model: a name (Llama 3.x) or a ChatFormat from the embedded template."""
        name = detect_format_name(self.metadata)
        if name != "jinja":
            return name
        from corral.prompts import JinjaFormat

        return JinjaFormat.from_gguf(self.model_path)

    # --- completion ------------------------------------------------------------------------

    def _grammar(self, grammar: str | None) -> Any:
        if grammar is None or not self.grammar:
            return None
        cache = self._loaded.grammars
        if grammar not in cache:
            from corral.prompts import validate_grammar

            validate_grammar(grammar)  # raises GrammarError: an invalid grammar must never reach llama.cpp
            cache[grammar] = _import_llama_cpp().LlamaGrammar.from_string(grammar, verbose=False)
        return cache[grammar]

    def _kwargs(
        self, prompt: str, stop: Sequence[str], max_tokens: int, grammar: str | None, deadline: float | None = None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "prompt": prompt,
            "max_tokens": max_tokens,
            "stop": list(stop),
            "temperature": self.temperature,
            "top_p": self.top_p,
            "repeat_penalty": 1.0,
            "grammar": self._grammar(grammar),
        }
        if self.seed is not None:
            kwargs["seed"] = self.seed
        if deadline is not None:
            kwargs["stopping_criteria"] = _until(deadline)
        return kwargs

    def complete(
        self,
        prompt: str,
        *,
        stop: Sequence[str] = (),
        max_tokens: int = 512,
        grammar: str | None = None,
        deadline: float | None = None,
    ) -> Completion:
        """Complete ``prompt``, reusing the KV cache of the longest common prefix with the last call."""
        done: Completion | None = None
        for item in self.stream(
            prompt, stop=stop, max_tokens=max_tokens, grammar=grammar, deadline=deadline, _deltas=False
        ):
            done = item  # type: ignore[assignment]
        assert done is not None
        return done

    async def acomplete(
        self,
        prompt: str,
        *,
        stop: Sequence[str] = (),
        max_tokens: int = 512,
        grammar: str | None = None,
        deadline: float | None = None,
    ) -> Completion:
        return await asyncio.to_thread(
            self.complete, prompt, stop=stop, max_tokens=max_tokens, grammar=grammar, deadline=deadline
        )

    def stream(
        self,
        prompt: str,
        *,
        stop: Sequence[str] = (),
        max_tokens: int = 512,
        grammar: str | None = None,
        deadline: float | None = None,
        _deltas: bool = True,
    ) -> Iterator[CompletionDelta | Completion]:
        """Yield text deltas as tokens are decoded, then the whole Completion (the model stays locked meanwhile)."""
        loaded = self._loaded
        if self.grammar and getattr(grammar, "openings", None):  # a DecisionGrammar: decide first
            yield from self._decided(prompt, stop, max_tokens, grammar, _deltas, deadline)
            return
        kwargs = self._kwargs(prompt, stop, max_tokens, grammar, deadline)
        steering = _number_steering(grammar) if self.grammar else None
        # A calls-only grammar (required, a named tool, structured output) carries its functions.
        functions = getattr(grammar, "functions", None) if self.grammar else None
        from .deciding import LoopCloser, steer_numbers

        with loaded.lock:
            loaded.begin()
            started, first, finish, text = time.perf_counter(), None, "stop", ""
            closer = None
            if functions is not None:
                names = [f.get("name", "") for f in functions if isinstance(f, dict)]
                closer = LoopCloser(loaded.llm, getattr(grammar, "question", "") or "", names)
            try:
                for chunk in loaded.llm.create_completion(stream=True, **kwargs):
                    choice = chunk["choices"][0]
                    if choice.get("text"):
                        first = first or time.perf_counter()
                        if _deltas:
                            yield CompletionDelta(text=choice["text"])
                        text += choice["text"]
                        if steering is not None:  # a calls-only turn: keep "$200,000" whole
                            steer_numbers(loaded.llm, text, *steering)
                    finish = choice.get("finish_reason") or finish
                    if closer is not None and closer.cut(text):  # a call looping as a whole (a tree A, B, C, A...)
                        finish = "length"
                        break
            except ValueError as exc:  # llama_cpp says "Requested tokens (...) exceed context window"
                raise BackendError(
                    f"{exc}. The conversation no longer fits n_ctx={self.n_ctx}: raise n_ctx "
                    "or start a shorter conversation."
                ) from exc
            yield self._completion(loaded, text, finish, started, first)

    def _decided(
        self, prompt: str, stop: Sequence[str], max_tokens: int, grammar: Any, deltas: bool, deadline: float | None
    ) -> Iterator[CompletionDelta | Completion]:
        """``auto`` with a DecisionGrammar: score text vs each call, then decode that (see .deciding)."""
        from .deciding import decide_and_decode

        loaded = self._loaded
        sampling = {"temperature": self.temperature, "top_p": self.top_p}
        if self.seed is not None:
            sampling["seed"] = self.seed
        if deadline is not None:
            sampling["stopping_criteria"] = _until(deadline)
        with loaded.lock:
            loaded.begin()
            started = time.perf_counter()
            self._check_fits(prompt)
            pieces, first = (
                decide_and_decode(loaded.llm, prompt, grammar, stop, max_tokens, sampling, self._grammar),
                None,
            )
            try:
                while True:
                    piece = next(pieces)
                    first = first or time.perf_counter()
                    if deltas:
                        yield CompletionDelta(text=piece)
            except StopIteration as done:
                text, finish, self.last_trace = done.value
            except ValueError as exc:  # a call's arguments ran past n_ctx
                raise BackendError(
                    f"{exc}. The conversation no longer fits n_ctx={self.n_ctx}: raise n_ctx "
                    "or start a shorter conversation."
                ) from exc
            yield self._completion(loaded, text, finish, started, first)

    def _check_fits(self, prompt: str) -> None:
        n = len(self._loaded.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))
        if n >= self.n_ctx:
            raise BackendError(
                f"The prompt is {n} tokens; it does not fit n_ctx={self.n_ctx} (with room to answer). "
                "Raise n_ctx, offer fewer tools, or start a shorter conversation."
            )

    async def astream(
        self,
        prompt: str,
        *,
        stop: Sequence[str] = (),
        max_tokens: int = 512,
        grammar: str | None = None,
        deadline: float | None = None,
    ) -> AsyncIterator[CompletionDelta | Completion]:
        """Async twin of :meth:`stream`: decoding runs in a worker thread, deltas arrive on the loop."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def produce() -> None:
            try:
                for item in self.stream(prompt, stop=stop, max_tokens=max_tokens, grammar=grammar, deadline=deadline):
                    loop.call_soon_threadsafe(queue.put_nowait, item)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                loop.call_soon_threadsafe(queue.put_nowait, exc)

        worker = loop.run_in_executor(None, produce)
        while True:
            item = await queue.get()
            if isinstance(item, BaseException):
                await worker
                raise item
            yield item
            if isinstance(item, Completion):
                await worker
                return

    def _completion(self, loaded: _Loaded, text: str, finish: str, started: float, first: float | None) -> Completion:
        llm = loaded.llm
        evaluated = loaded.evals[0] if loaded.evals else 0
        prompt_tokens = loaded.first_eval_start + evaluated if loaded.evals else llm.n_tokens
        stop_token = None
        if finish == "stop" and loaded.last_token is not None and _is_eog(llm, loaded.last_token):
            stop_token = llm.detokenize([loaded.last_token], special=True).decode("utf-8", "replace")
        now = time.perf_counter()
        return Completion(
            text=text,
            finish_reason="repetition" if finish == "repetition" else "length" if finish == "length" else "stop",
            stop_token=stop_token,
            prompt_tokens=prompt_tokens,
            prompt_tokens_evaluated=evaluated,
            completion_tokens=loaded.samples,
            time_to_first_token=(first or now) - started,
            total_time=now - started,
        )

    def __repr__(self) -> str:
        return f"LlamaCppBackend({Path(self.model_path).name!r}, n_ctx={self.n_ctx}, n_threads={self.n_threads})"


def _is_eog(llm: Any, token: int) -> bool:
    llama_cpp = _import_llama_cpp()
    return bool(llama_cpp.llama_vocab_is_eog(llm._model.vocab, token))
