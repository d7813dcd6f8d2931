"""``OpenAIBackend``: any OpenAI-compatible server (llama-server, ``python -m llama_cpp.server``, vLLM, Ollama).

Two modes. ``completions`` (default): corral renders the prompt and parses the text, exactly as with
the embedded backend, through ``/v1/completions``; the tool-call grammar is sent in the ``grammar``
field (llama.cpp servers; set ``grammar_field=None`` for servers that reject it, or e.g.
``"guided_grammar"`` for vLLM). ``chat``: ``/v1/chat/completions`` with the server's own template and
``tool_calls``; plain-text answers still go through corral's parser, so calls a model writes as
text are not lost.

Both modes stream over SSE (``stream``/``astream``, ``stream_chat``/``astream_chat``).

One pooled httpx client per backend serves every sync run, and one set of small async pools per
event loop (``_lanes``) every async run, so thousands of concurrent runs share connections.
Connect errors, timeouts, 429 (honouring ``Retry-After``) and 5xx are retried with exponential
backoff and jitter within a bounded budget. Every call is bounded: a
total ``deadline`` (a server dribbling bytes cannot hold it), a ``max_response_bytes`` cap (an
endless body cannot fill memory), and replies of the wrong shape raise ``BackendResponseError``
naming the field. Each call is written once, in ``_flow.exchange``; sync and async only drive it.

Example::

    >>> from corral import Agent, OpenAIBackend
    >>> backend = OpenAIBackend("http://127.0.0.1:8080/v1")     # doctest: +SKIP
    >>> Agent(backend, guards=None).run("Say hi").output        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing
from typing import Any, Literal

import httpx

from corral.exceptions import UsageError

from ._chat import chat_body, chat_reply, completion_from_response
from ._deadline import deadline_transport
from ._flow import Call, Limits, adrive, arun, drive, exchange
from ._http import RetryPolicy
from ._lanes import Lanes
from ._schema import ChatResponse, CompletionResponse
from ._stream import ChatStream, CompletionStream, JsonBody
from .base import ChatReply, Completion, CompletionDelta, ToolCallDelta

__all__ = ["OpenAIBackend"]

_MiB = 2**20


def _base_url(url: str) -> str:
    url = url.rstrip("/")
    path = httpx.URL(url).path
    return url + "/v1" if path in ("", "/") else url  # "http://host:8080" means the usual /v1 root


class OpenAIBackend:
    """A backend that talks to an OpenAI-compatible HTTP server.

    ``api_key``: given, or ``$OPENAI_API_KEY``, or ``$CORRAL_API_KEY`` (local servers need none).
    ``timeout`` bounds each connect or read; ``deadline`` (seconds, None for none) bounds a whole call:
    every attempt and wait, connecting, headers, body and stream, so a server that dribbles bytes
    cannot hold a run. ``max_response_bytes`` caps a reply's body, plain or streamed.
    ``max_retries`` and ``retry_budget`` (seconds of waiting) bound retries.

    Example::

        >>> OpenAIBackend("http://127.0.0.1:8080", mode="chat", deadline=30).base_url
        'http://127.0.0.1:8080/v1'
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080/v1",
        *,
        model: str = "",
        mode: Literal["completions", "chat"] = "completions",
        api_key: str | None = None,
        timeout: float = 60.0,
        deadline: float | None = 600.0,
        max_response_bytes: int = 32 * _MiB,
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
        _check_settings(mode, deadline, max_response_bytes)
        self.base_url = _base_url(base_url)
        self.model, self.mode, self.temperature = model, mode, temperature
        self.grammar_field = grammar_field
        self.extra_body = dict(extra_body or {})
        self.retry = RetryPolicy(max_retries=max_retries, base=backoff, budget=retry_budget)
        self.limits = Limits(deadline=deadline, max_bytes=max_response_bytes, policy=self.retry)
        key = api_key or os.environ.get("OPENAI_API_KEY") or os.environ.get("CORRAL_API_KEY")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._pool = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._transport, self._async_transport = transport, async_transport
        self._client: httpx.Client | None = None
        self._aclients: dict[int, Lanes] = {}

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
            # our own transport ends every socket wait by the call's deadline (see _deadline)
            transport = self._transport or deadline_transport(httpx.HTTPTransport(limits=self._pool))
            self._client = httpx.Client(
                headers=self._headers, timeout=self._timeout, limits=self._pool, transport=transport
            )
        return self._client

    def _lanes(self) -> Lanes:
        # An AsyncClient's pool belongs to one event loop: keep one set of lanes per loop. A custom
        # transport is one pool already (the caller's), so it gets one lane.
        loop = id(asyncio.get_running_loop())
        lanes = self._aclients.get(loop)
        if lanes is None:

            def make(limits: httpx.Limits) -> httpx.AsyncClient:
                return httpx.AsyncClient(
                    headers=self._headers, timeout=self._timeout, limits=limits, transport=self._async_transport
                )

            lanes = Lanes(make, self._pool.max_connections or 1, split=self._async_transport is None)
            self._aclients[loop] = lanes
        return lanes

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        self.close()
        for lanes in self._aclients.values():
            for client in lanes.clients:
                await client.aclose()
        self._aclients.clear()

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- one call, sync or async (the decisions are in _flow.exchange) ----------------------

    def _call(self, path: str, body: dict[str, Any]) -> Call:
        deadline = None if self.limits.deadline is None else time.monotonic() + self.limits.deadline
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        return Call(url=self.base_url + path, body=data, deadline=deadline, limits=self.limits)

    def _sync(self, call: Call, reader: Callable[[], Any]) -> Iterator[Any]:
        return drive(self.client, exchange(call, reader), call.deadline)

    async def _async(self, call: Call, reader: Callable[[], Any]) -> AsyncIterator[Any]:
        lanes = self._lanes()
        client = lanes.take()
        try:
            async with aclosing(adrive(client, exchange(call, reader), call.deadline)) as steps:
                async for step in steps:
                    yield step
        finally:
            lanes.give_back(client)

    async def _async_result(self, call: Call, reader: Callable[[], Any]) -> Any:
        lanes = self._lanes()
        client = lanes.take()
        try:
            return await arun(client, exchange(call, reader), call)
        finally:
            lanes.give_back(client)

    # --- completions mode ------------------------------------------------------------------

    def _completion_body(
        self, prompt: str, stop: Sequence[str], max_tokens: int, grammar: str | None, stream: bool
    ) -> dict[str, Any]:
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

    def _completion(
        self, prompt: str, stop: Sequence[str], max_tokens: int, grammar: str | None
    ) -> tuple[Call, Callable[[], Any]]:
        call = self._call("/completions", self._completion_body(prompt, stop, max_tokens, grammar, False))
        started = time.perf_counter()
        return call, lambda: JsonBody(
            CompletionResponse, call.url, lambda data: completion_from_response(data, time.perf_counter() - started)
        )

    def complete(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512, grammar: str | None = None
    ) -> Completion:
        """POST /completions and return the Completion."""
        return _last(self._sync(*self._completion(prompt, stop, max_tokens, grammar)))

    async def acomplete(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512, grammar: str | None = None
    ) -> Completion:
        return await self._async_result(*self._completion(prompt, stop, max_tokens, grammar))

    def _streamed(self, prompt: str, stop: Sequence[str], max_tokens: int, grammar: str | None) -> Call:
        return self._call("/completions", self._completion_body(prompt, stop, max_tokens, grammar, True))

    def stream(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512, grammar: str | None = None
    ) -> Iterator[CompletionDelta | Completion]:
        """Stream /completions over SSE: deltas, then the whole Completion. Retried only before the
        first byte of text; a stream cut after that raises StreamTruncated."""
        call = self._streamed(prompt, stop, max_tokens, grammar)  # runs at the first next(): so does the deadline
        yield from self._sync(call, lambda: CompletionStream(call.url))

    def astream(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512, grammar: str | None = None
    ) -> AsyncIterator[CompletionDelta | Completion]:
        # The stream itself, not a generator around it: closing it closes the response at once.
        call = self._streamed(prompt, stop, max_tokens, grammar)
        return self._async(call, lambda: CompletionStream(call.url))

    # --- chat mode -------------------------------------------------------------------------

    def _chat(
        self, messages: Sequence[Any], tools: Sequence[dict[str, Any]], tool_choice: Any, max_tokens: int
    ) -> tuple[Call, Callable[[], Any]]:
        call = self._call("/chat/completions", chat_body(self, messages, tools, tool_choice, max_tokens))
        started = time.perf_counter()
        return call, lambda: JsonBody(
            ChatResponse, call.url, lambda data: chat_reply(data, time.perf_counter() - started)
        )

    def chat(
        self,
        messages: Sequence[Any],
        *,
        tools: Sequence[dict[str, Any]] = (),
        tool_choice: Any = "auto",
        max_tokens: int = 512,
    ) -> ChatReply:
        """POST /chat/completions; the reply's tool_calls (or calls found in its text) as an AssistantTurn."""
        return _last(self._sync(*self._chat(messages, tools, tool_choice, max_tokens)))

    async def achat(
        self,
        messages: Sequence[Any],
        *,
        tools: Sequence[dict[str, Any]] = (),
        tool_choice: Any = "auto",
        max_tokens: int = 512,
    ) -> ChatReply:
        return await self._async_result(*self._chat(messages, tools, tool_choice, max_tokens))

    def _chat_streamed(
        self, messages: Sequence[Any], tools: Sequence[dict[str, Any]], tool_choice: Any, max_tokens: int
    ) -> Call:
        return self._call("/chat/completions", chat_body(self, messages, tools, tool_choice, max_tokens, True))

    def stream_chat(
        self,
        messages: Sequence[Any],
        *,
        tools: Sequence[dict[str, Any]] = (),
        tool_choice: Any = "auto",
        max_tokens: int = 512,
    ) -> Iterator[CompletionDelta | ToolCallDelta | ChatReply]:
        """Stream /chat/completions over SSE: text deltas and tool-call fragments, then the ChatReply.

        Example::

            >>> for item in backend.stream_chat([{"role": "user", "content": "hi"}]):  # doctest: +SKIP
            ...     print(getattr(item, "text", ""), end="")
        """
        call = self._chat_streamed(messages, tools, tool_choice, max_tokens)
        yield from self._sync(call, lambda: ChatStream(call.url))

    def astream_chat(
        self,
        messages: Sequence[Any],
        *,
        tools: Sequence[dict[str, Any]] = (),
        tool_choice: Any = "auto",
        max_tokens: int = 512,
    ) -> AsyncIterator[CompletionDelta | ToolCallDelta | ChatReply]:
        call = self._chat_streamed(messages, tools, tool_choice, max_tokens)
        return self._async(call, lambda: ChatStream(call.url))

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.base_url!r}, mode={self.mode!r}, model={self.model!r})"


def _check_settings(mode: str, deadline: float | None, max_response_bytes: int) -> None:
    if mode not in ("completions", "chat"):
        raise UsageError(f"mode must be 'completions' or 'chat', got {mode!r}")
    if deadline is not None and not deadline > 0:
        raise UsageError(f"deadline must be a number of seconds > 0, or None for no deadline; got {deadline!r}")
    if not (isinstance(max_response_bytes, int) and max_response_bytes > 0):
        raise UsageError(f"max_response_bytes must be a positive int, got {max_response_bytes!r}")


def _last(items: Iterator[Any]) -> Any:
    last = None
    for last in items:  # noqa: B007  (the loop keeps the last item)
        pass
    return last
