"""OpenAIBackend's total deadline and size cap, against a real socket server that misbehaves.

The server is a raw asyncio TCP server on 127.0.0.1 in a thread: it reads the request and then
dribbles bytes, stalls, or sends without end. No timing is asserted: each call runs in a thread
with a generous join guard, and the test checks that it returned, and with which error.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from corral import BackendHTTPError, BackendTimeout, OpenAIBackend, ResponseTooLarge

Behaviour = Callable[[asyncio.StreamWriter], Awaitable[None]]
GUARD = 60.0  # seconds a call may take before the test calls it hung (the deadlines below are 1 s)
SSE_EVENT = b'data: {"choices":[{"text":"a","finish_reason":null}]}\n\n'


class RawServer:
    """Serves every connection with ``behaviour`` after reading the request; stops on exit."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)

    def __enter__(self) -> RawServer:
        self.thread.start()
        assert self.ready.wait(10), "the raw server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)
        self.loop.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _main(self) -> None:
        self.stop = asyncio.Event()
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        await self.stop.wait()
        server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.tasks.add(task)  # type: ignore[arg-type]
        try:
            while True:  # keep-alive: the next request on this connection, until the client leaves
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                await self.behaviour(writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.tasks.discard(task)  # type: ignore[arg-type]


async def dribble(writer: asyncio.StreamWriter, data: bytes) -> None:
    for byte in data:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.02)


async def dribble_headers(writer: asyncio.StreamWriter) -> None:
    await dribble(writer, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10**6)


async def dribble_body(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
    await dribble(writer, b'{"choices": [' + b" " * 10**6)


async def dribble_sse(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
    await dribble(writer, SSE_EVENT * 10**4)


async def stall(writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def endless(writer: asyncio.StreamWriter, head: bytes, piece: bytes) -> None:
    writer.write(head)
    for _ in itertools.count():
        writer.write(piece)
        await writer.drain()


async def endless_json(writer: asyncio.StreamWriter) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n"
    await endless(writer, head + b'{"choices": [{"text": "', b"x" * 65536)


async def endless_sse(writer: asyncio.StreamWriter) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
    await endless(writer, head, SSE_EVENT * 1000)


async def endless_error(writer: asyncio.StreamWriter) -> None:
    head = b"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\noverloaded "
    await endless(writer, head, b"z" * 65536)


def guarded(fn: Callable[[], Any]) -> BaseException | Any:
    """Run ``fn`` in a thread; return its error (or value). Fails the test if it does not return."""
    out: list[Any] = []

    def target() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(GUARD)
    assert not thread.is_alive(), "the call did not return: the deadline or the cap did not hold"
    return out[0]


def call(kind: str, backend: OpenAIBackend) -> Callable[[], Any]:
    """One way of calling the backend, sync or async, plain or streamed, completions or chat."""
    msgs = [{"role": "user", "content": "hi"}]
    return {
        "complete": lambda: backend.complete("hi", max_tokens=8),
        "acomplete": lambda: asyncio.run(backend.acomplete("hi", max_tokens=8)),
        "stream": lambda: list(backend.stream("hi", max_tokens=8)),
        "astream": lambda: asyncio.run(_collect(backend.astream("hi", max_tokens=8))),
        "chat": lambda: backend.chat(msgs, max_tokens=8),
        "achat": lambda: asyncio.run(backend.achat(msgs, max_tokens=8)),
        "stream_chat": lambda: list(backend.stream_chat(msgs, max_tokens=8)),
        "astream_chat": lambda: asyncio.run(_collect(backend.astream_chat(msgs, max_tokens=8))),
    }[kind]


async def _collect(items: Any) -> list[Any]:
    return [item async for item in items]


ALL_CALLS = ["complete", "acomplete", "stream", "astream", "chat", "achat", "stream_chat", "astream_chat"]
SYNC_AND_ASYNC = ["complete", "acomplete", "stream", "astream"]


def make(server: RawServer, **kw: Any) -> OpenAIBackend:
    kw.setdefault("timeout", 30.0)  # per read: never trips, the server sends a byte every 20 ms
    return OpenAIBackend(server.base_url, max_retries=0, api_key="", **kw)


@pytest.mark.parametrize("kind", SYNC_AND_ASYNC)
@pytest.mark.parametrize("behaviour", [dribble_headers, dribble_body, stall], ids=lambda b: b.__name__)
def test_a_dribbling_or_stalled_server_cannot_outlast_the_deadline(behaviour, kind):
    with RawServer(behaviour) as server:
        backend = make(server, deadline=1.0)
        error = guarded(call(kind, backend))
        backend.close()
    assert isinstance(error, BackendTimeout), error
    assert "deadline of 1 s" in str(error) and "deadline=" in str(error)


@pytest.mark.parametrize("kind", ["stream", "astream", "stream_chat", "astream_chat"])
def test_a_dribbled_stream_ends_at_the_deadline_even_after_text_arrived(kind):
    with RawServer(dribble_sse) as server:
        backend = make(server, deadline=1.0, mode="chat" if "chat" in kind else "completions")
        error = guarded(call(kind, backend))
        backend.close()
    assert isinstance(error, BackendTimeout), error


@pytest.mark.parametrize("kind", ALL_CALLS)
def test_an_endless_body_is_cut_at_the_size_cap(kind):
    behaviour = endless_sse if "stream" in kind else endless_json
    with RawServer(behaviour) as server:
        backend = make(
            server, max_response_bytes=2**20, deadline=None, mode="chat" if "chat" in kind else "completions"
        )
        error = guarded(call(kind, backend))
        backend.close()
    assert isinstance(error, ResponseTooLarge), error
    assert "max_response_bytes=1048576" in str(error)


@pytest.mark.parametrize("kind", ["complete", "astream"])
def test_an_endless_error_page_is_read_only_in_part(kind):
    with RawServer(endless_error) as server:
        backend = make(server, deadline=None)
        error = guarded(call(kind, backend))
        backend.close()
    assert isinstance(error, BackendHTTPError) and error.status == 500, error
    assert "overloaded" in str(error) and len(error.body) <= 2100


def test_without_a_deadline_the_per_read_timeout_still_ends_a_stall():
    with RawServer(stall) as server:
        backend = make(server, deadline=None, timeout=0.5)
        error = guarded(call("complete", backend))
        backend.close()
    assert isinstance(error, BackendTimeout) and "did not answer in time" in str(error), error


def test_the_deadline_leaves_a_healthy_pooled_connection_usable():
    async def answer(writer: asyncio.StreamWriter) -> None:
        body = b'{"choices":[{"text":"ok","finish_reason":"stop"}]}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()

    with RawServer(answer) as server:
        backend = make(server, deadline=5.0)
        texts = guarded(lambda: [backend.complete("hi").text for _ in range(3)])
        atexts = guarded(lambda: asyncio.run(_collect_texts(backend)))
        backend.close()
    assert texts == ["ok", "ok", "ok"] == atexts


async def _collect_texts(backend: OpenAIBackend) -> list[str]:
    return [(await backend.acomplete("hi")).text for _ in range(3)]


@pytest.mark.parametrize(
    "bad", [{"deadline": 0}, {"deadline": -1.0}, {"max_response_bytes": 0}, {"max_response_bytes": 1.5}]
)
def test_bad_limits_are_usage_errors(bad):
    from corral import UsageError

    with pytest.raises(UsageError, match=next(iter(bad))):
        OpenAIBackend("http://127.0.0.1:1/v1", **bad)
