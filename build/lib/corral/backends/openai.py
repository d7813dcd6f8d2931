"""``OpenAIBackend``: any OpenAI-compatible server (llama-server, ``python -m llama_cpp.server``, vLLM, Ollama).

Two modes. ``completions`` (default): corral renders the prompt and parses the text, exactly as with
the embedded backend, through ``/v1/completions``; the tool-call grammar is sent in the ``grammar``
field (llama.cpp servers; set ``grammar_field=None`` for servers that reject it, or e.g.
``"guided_grammar"`` for vLLM). ``chat``: ``/v1/chat/completions`` with the server's own template and
``tool_calls``; plain-text answers still go through corral's parser, so calls a model writes as
text are not lost.

One pooled httpx client per backend (sync and async) serves every run, so thousands of concurrent
runs share connections. Connect errors, timeouts, 429 (honouring ``Retry-After``) and 5xx are
retried with exponential backoff and jitter within a bounded budget.

Example::

    >>> from corral import Agent, OpenAIBackend
    >>> backend = OpenAIBackend("http://127.0.0.1:8080/v1")     # doctest: +SKIP
    >>> Agent(backend, guards=None).run("Say hi").output        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, AsyncIterator, Iterator, Literal, Sequence

import httpx

from corral.exceptions import StreamTruncated, UsageError

from ._chat import StreamAccumulator, chat_body, chat_reply, completion_from_json
from ._http import RetryPolicy, parse_json, raise_for_outcome
from .base import ChatReply, Completion, CompletionDelta

__all__ = ["OpenAIBackend"]


def _base_url(url: str) -> str:
    url = url.rstrip("/")
    path = httpx.URL(url).path
    return url + "/v1" if path in ("", "/") else url  # "http://host:8080" means the usual /v1 root


class OpenAIBackend:
    """A backend that talks to an OpenAI-compatible HTTP server.

    ``api_key``: given, or ``$OPENAI_API_KEY``, or ``$CORRAL_API_KEY`` (local servers need none).
    ``timeout`` is per request; ``max_retries`` and ``retry_budget`` (seconds of waiting) bound retries.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080/v1",
        *,
        model: str = "",
        mode: Literal["completions", "chat"] = "completions",
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        retry_budget: float = 120.0,
        backoff: float = 0.5,
        temperature: float = 0.0,
        grammar_field: str | None = "grammar",
        extra_body: dict[str, Any] | None = None,
        max_connections: int = 256,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if mode not in ("completions", "chat"):
            raise UsageError(f"mode must be 'completions' or 'chat', got {mode!r}")
        self.base_url = _base_url(base_url)
        self.model, self.mode, self.temperature = model, mode, temperature
        self.grammar_field = grammar_field
        self.extra_body = dict(extra_body or {})
        self.retry = RetryPolicy(max_retries=max_retries, base=backoff, budget=retry_budget)
        key = api_key or os.environ.get("OPENAI_API_KEY") or os.environ.get("CORRAL_API_KEY")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._transport, self._async_transport = transport, async_transport
        self._client: httpx.Client | None = None
        self._aclients: dict[int, httpx.AsyncClient] = {}

    @property
    def chat_mode(self) -> bool:
        """True in ``chat`` mode: the agent sends messages instead of a rendered prompt."""
        return self.mode == "chat"

    @property
    def wants_grammar(self) -> bool:
        return self.mode == "completions" and self.grammar_field is not None

    # --- clients ---------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(headers=self._headers, timeout=self._timeout, limits=self._limits,
                                        transport=self._transport)
        return self._client

    @property
    def aclient(self) -> httpx.AsyncClient:
        # An AsyncClient's pool belongs to one event loop: keep one per loop.
        loop = id(asyncio.get_running_loop())
        client = self._aclients.get(loop)
        if client is None:
            client = httpx.AsyncClient(headers=self._headers, timeout=self._timeout, limits=self._limits,
                                       transport=self._async_transport)
            self._aclients[loop] = client
        return client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        self.close()
        for client in self._aclients.values():
            await client.aclose()
        self._aclients.clear()

    def __enter__(self) -> "OpenAIBackend":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- requests with retries -------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url, waited = self.base_url + path, 0.0
        for attempt in range(self.retry.max_retries + 1):
            try:
                outcome: Any = self.client.post(url, json=body)
            except httpx.TransportError as exc:
                outcome = exc
            delay = self.retry.delay(outcome, attempt, waited)
            if delay is None:
                return parse_json(raise_for_outcome(outcome, url, attempt + 1), url)
            time.sleep(delay)
            waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    async def _apost(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url, waited = self.base_url + path, 0.0
        for attempt in range(self.retry.max_retries + 1):
            try:
                outcome: Any = await self.aclient.post(url, json=body)
            except httpx.TransportError as exc:
                outcome = exc
            delay = self.retry.delay(outcome, attempt, waited)
            if delay is None:
                return parse_json(raise_for_outcome(outcome, url, attempt + 1), url)
            await asyncio.sleep(delay)
            waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    # --- completions mode ------------------------------------------------------------------

    def _completion_body(self, prompt: str, stop: Sequence[str], max_tokens: int, grammar: str | None,
                         stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"prompt": prompt, "max_tokens": max_tokens, "temperature": self.temperature}
        if self.model:
            body["model"] = self.model
        if stop:
            body["stop"] = list(stop)
        if grammar and self.grammar_field:
            body[self.grammar_field] = grammar
        if stream:
            body["stream"] = True
        return {**body, **self.extra_body}

    def complete(self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512,
                 grammar: str | None = None) -> Completion:
        """POST /completions and return the Completion."""
        started = time.perf_counter()
        data = self._post("/completions", self._completion_body(prompt, stop, max_tokens, grammar, False))
        return completion_from_json(data, time.perf_counter() - started)

    async def acomplete(self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512,
                        grammar: str | None = None) -> Completion:
        started = time.perf_counter()
        data = await self._apost("/completions", self._completion_body(prompt, stop, max_tokens, grammar, False))
        return completion_from_json(data, time.perf_counter() - started)

    def stream(self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512,
               grammar: str | None = None) -> Iterator[CompletionDelta | Completion]:
        """Stream /completions over SSE: deltas, then the whole Completion. Retried only before the
        first byte of text; a stream cut after that raises StreamTruncated."""
        url, waited = self.base_url + "/completions", 0.0
        body = self._completion_body(prompt, stop, max_tokens, grammar, True)
        for attempt in range(self.retry.max_retries + 1):
            acc = StreamAccumulator(url)
            try:
                with self.client.stream("POST", url, json=body) as response:
                    if response.status_code < 400:
                        for line in response.iter_lines():
                            delta = acc.feed(line)
                            if delta:
                                yield CompletionDelta(text=delta)
                        yield acc.finish()
                        return
                    response.read()
                    outcome: Any = response
            except httpx.TransportError as exc:
                if acc.started:
                    raise StreamTruncated(f"{url}: the connection broke mid-stream ({type(exc).__name__})") from exc
                outcome = exc
            delay = self.retry.delay(outcome, attempt, waited)
            if delay is None:
                raise_for_outcome(outcome, url, attempt + 1)
            time.sleep(delay or 0.0)
            waited += delay or 0.0

    async def astream(self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512,
                      grammar: str | None = None) -> AsyncIterator[CompletionDelta | Completion]:
        url, waited = self.base_url + "/completions", 0.0
        body = self._completion_body(prompt, stop, max_tokens, grammar, True)
        for attempt in range(self.retry.max_retries + 1):
            acc = StreamAccumulator(url)
            try:
                async with self.aclient.stream("POST", url, json=body) as response:
                    if response.status_code < 400:
                        async for line in response.aiter_lines():
                            delta = acc.feed(line)
                            if delta:
                                yield CompletionDelta(text=delta)
                        yield acc.finish()
                        return
                    await response.aread()
                    outcome: Any = response
            except httpx.TransportError as exc:
                if acc.started:
                    raise StreamTruncated(f"{url}: the connection broke mid-stream ({type(exc).__name__})") from exc
                outcome = exc
            delay = self.retry.delay(outcome, attempt, waited)
            if delay is None:
                raise_for_outcome(outcome, url, attempt + 1)
            await asyncio.sleep(delay or 0.0)
            waited += delay or 0.0

    # --- chat mode -------------------------------------------------------------------------

    def chat(self, messages: Sequence[Any], *, tools: Sequence[dict[str, Any]] = (), tool_choice: Any = "auto",
             max_tokens: int = 512) -> ChatReply:
        """POST /chat/completions; the reply's tool_calls (or calls found in its text) as an AssistantTurn."""
        started = time.perf_counter()
        body = chat_body(self, messages, tools, tool_choice, max_tokens)
        return chat_reply(self._post("/chat/completions", body), time.perf_counter() - started)

    async def achat(self, messages: Sequence[Any], *, tools: Sequence[dict[str, Any]] = (),
                    tool_choice: Any = "auto", max_tokens: int = 512) -> ChatReply:
        started = time.perf_counter()
        body = chat_body(self, messages, tools, tool_choice, max_tokens)
        return chat_reply(await self._apost("/chat/completions", body), time.perf_counter() - started)

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.base_url!r}, mode={self.mode!r}, model={self.model!r})"

