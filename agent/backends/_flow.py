"""One HTTP call, written once: a generator that decides, and two thin drivers that do the I/O.

``exchange`` yields I/O requests (``Send`` a POST and get the response headers, ``READ`` the next
body chunk, ``CLOSE`` the response, ``Sleep`` before a retry) and receives their results, or has
the transport error thrown in. Anything else it yields is output for the caller (stream deltas,
then the final value). Retries, the deadline, the size cap and the error messages all live here;
``drive`` and ``adrive`` only carry out the requests. (The shape is httpx's ``auth_flow``, as in
``corral._loop.loop``.)

The deadline bounds the whole call: every attempt, wait, connect, header and body byte. The async
driver enforces it with ``asyncio.timeout``; the sync driver through ``corral.backends._deadline``.

Example::

    >>> import httpx
    >>> from corral.backends._http import RetryPolicy
    >>> from corral.backends._stream import CompletionStream
    >>> call = Call(url="http://x/v1/completions", body=b"{}", deadline=None,
    ...             limits=Limits(deadline=None, max_bytes=1000, policy=RetryPolicy()))
    >>> flow = exchange(call, lambda: CompletionStream(call.url))
    >>> next(flow)
    Send(url='http://x/v1/completions', body=b'{}')
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from corral.exceptions import BackendTimeout, ResponseTooLarge, StreamTruncated

from ._deadline import _DEADLINE
from ._http import RetryPolicy, raise_for_outcome

__all__ = ["CLOSE", "READ", "Call", "DeadlineReached", "Limits", "Send", "Sleep", "adrive", "drive", "exchange"]

_ERROR_BODY_BYTES = 65536  # enough of an error page to quote; the rest is not worth reading
_JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class Send:
    url: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


class _Read:
    __slots__ = ()


class _Close:
    __slots__ = ()


READ, CLOSE = _Read(), _Close()
_IO = (Send, Sleep, _Read, _Close)


class DeadlineReached(Exception):
    """Thrown into the flow by a driver whose own clock ran out (the flow reports it)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Limits:
    """A backend's bounds on one call: ``deadline`` seconds in all (None: none), ``max_bytes`` of body."""

    deadline: float | None
    max_bytes: int
    policy: RetryPolicy


@dataclass(frozen=True, kw_only=True, slots=True)
class Call:
    """One call: where, what, and by when (``deadline``: a ``time.monotonic()`` value, or None)."""

    url: str
    body: bytes
    deadline: float | None
    limits: Limits


def exchange(call: Call, make_reader: Callable[[], Any]) -> Generator[Any, Any, None]:
    """Attempts with retries. Yields I/O requests and the reader's output; the last output is the result."""
    policy, waited = call.limits.policy, 0.0
    for attempt in range(policy.max_retries + 1):
        reader = make_reader()
        try:
            _check_deadline(call, attempt)
            response = yield Send(call.url, call.body)
            if response.status_code < 400:
                yield from _read_body(call, reader)
                return
            outcome: Any = yield from _error_reply(response)
        except httpx.TransportError as exc:
            _check_deadline(call, attempt + 1, exc)
            if reader.started:
                raise StreamTruncated(f"{call.url}: the connection broke mid-stream ({type(exc).__name__})") from exc
            outcome = exc
        except DeadlineReached:
            raise _deadline_error(call, attempt + 1) from None
        delay = policy.delay(outcome, attempt, waited)
        if delay is not None and call.deadline is not None and time.monotonic() + delay >= call.deadline:
            delay = None  # no time left for another attempt: report what went wrong
        if delay is None:
            raise_for_outcome(outcome, call.url, attempt + 1)
        yield Sleep(delay)
        waited += delay


def _read_body(call: Call, reader: Any) -> Generator[Any, Any, None]:
    size, cap = 0, call.limits.max_bytes
    while True:
        chunk = yield READ
        if not chunk:
            break
        size += len(chunk)
        if size > cap:
            raise ResponseTooLarge(
                f"{call.url} sent more than max_response_bytes={cap} bytes; the reply was "
                "cut off. Raise max_response_bytes= on OpenAIBackend, or lower max_tokens"
            )
        yield from reader.feed(chunk)
        if call.deadline is not None and time.monotonic() > call.deadline:
            raise DeadlineReached
    yield reader.result()  # no CLOSE: httpx closes a response read to its end


def _error_reply(response: httpx.Response) -> Generator[Any, Any, httpx.Response]:
    """The start of an error reply's body (never an endless one), as a response the retry policy reads."""
    parts, size = [], 0
    while size < _ERROR_BODY_BYTES:
        chunk = yield READ
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    yield CLOSE
    keep = {k: v for k, v in response.headers.items() if k.lower() in ("retry-after", "content-type")}
    return httpx.Response(response.status_code, headers=keep, content=b"".join(parts)[:_ERROR_BODY_BYTES])


def _check_deadline(call: Call, attempts: int, cause: BaseException | None = None) -> None:
    if call.deadline is not None and time.monotonic() >= call.deadline:
        raise _deadline_error(call, attempts) from cause


def _deadline_error(call: Call, attempts: int | None) -> BackendTimeout:
    tries = "" if attempts is None else f"{attempts} attempt{'s' if attempts != 1 else ''}; "
    return BackendTimeout(
        f"{call.url} did not finish within the deadline of {call.limits.deadline:g} s ({tries}the deadline "
        "covers connecting, headers, body and stream). Raise deadline= on OpenAIBackend (None turns it off), "
        "lower max_tokens, or check the server's load"
    )


class _SyncIO:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.response: httpx.Response | None = None
        self.chunks: Iterator[bytes] = iter(())

    def do(self, step: Any) -> Any:
        cls = step.__class__
        if cls is _Read:
            return next(self.chunks, b"")
        if cls is Send:
            request = self.client.build_request("POST", step.url, content=step.body, headers=_JSON)
            self.response = self.client.send(request, stream=True)
            self.chunks = self.response.iter_bytes()
            return self.response
        if cls is _Close:
            return self.close()
        time.sleep(step.seconds)
        return None

    def close(self) -> None:
        if self.response is not None:
            self.response.close()
            self.response = None


def drive(client: httpx.Client, flow: Generator[Any, Any, None], deadline: float | None) -> Iterator[Any]:
    """Carry out a flow's requests with a blocking client; yield its output."""
    io, value, error = _SyncIO(client), None, None
    try:
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration:
                return
            value = error = None
            if not isinstance(step, _IO):
                yield step
                continue
            token = _DEADLINE.set(deadline)  # every socket wait below ends by the deadline (_deadline.py)
            try:
                value = io.do(step)
            except httpx.TransportError as exc:
                error = exc
            finally:
                _DEADLINE.reset(token)
    finally:
        io.close()
        flow.close()


class _AsyncIO:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.response: httpx.Response | None = None
        self.chunks: AsyncIterator[bytes] | None = None

    async def do(self, step: Any) -> Any:
        cls = step.__class__
        if cls is _Read:
            try:
                return await self.chunks.__anext__()  # type: ignore[union-attr]
            except StopAsyncIteration:
                return b""
        if cls is Send:
            request = self.client.build_request("POST", step.url, content=step.body, headers=_JSON)
            self.response = await self.client.send(request, stream=True)
            self.chunks = self.response.aiter_bytes()
            return self.response
        if cls is _Close:
            return await self.aclose()
        await asyncio.sleep(step.seconds)
        return None

    async def aclose(self) -> None:
        self.chunks = None
        if self.response is not None:
            response, self.response = self.response, None
            await response.aclose()


async def _wait(awaitable: Any, deadline: float) -> Any:
    when = asyncio.get_running_loop().time() + (deadline - time.monotonic())
    if sys.version_info >= (3, 11):
        async with asyncio.timeout_at(when):
            return await awaitable
    return await asyncio.wait_for(awaitable, when - asyncio.get_running_loop().time())  # pragma: no cover


async def adrive(
    client: httpx.AsyncClient, flow: Generator[Any, Any, None], deadline: float | None
) -> AsyncGenerator[Any, None]:
    """Carry out a flow's requests on the event loop; yield its output."""
    io, value, error = _AsyncIO(client), None, None
    try:
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration:
                return
            value = error = None
            if not isinstance(step, _IO):
                yield step
                continue
            try:
                value = await (io.do(step) if deadline is None else _wait(io.do(step), deadline))
            except httpx.TransportError as exc:
                error = exc
            except asyncio.TimeoutError:
                error = DeadlineReached()
    finally:
        await io.aclose()
        flow.close()


async def arun(client: httpx.AsyncClient, flow: Generator[Any, Any, None], call: Call) -> Any:
    """Run a flow whose only output is its result, under one timer for the whole call.

    Cheaper than ``adrive``'s timer per step, which a stream needs: between its steps the caller
    runs, and a timer around the whole stream would cancel the caller's own work.
    """
    steps = adrive(client, flow, None)
    if call.deadline is None:
        return await _last(steps)
    try:
        return await _wait(_last(steps), call.deadline)
    except asyncio.TimeoutError:
        raise _deadline_error(call, None) from None


async def _last(items: AsyncIterator[Any]) -> Any:
    last = None
    async for last in items:  # noqa: B007  (the loop keeps the last item)
        pass
    return last
