"""A total deadline for blocking httpx calls, down to every socket wait.

httpx's timeouts are per operation: a server that sends one byte a second never trips a read
timeout, through the headers or the body. The async driver bounds a whole request with
``asyncio.timeout``; a blocking call has no such tool, so the sync client's connections are made by
a network backend that caps each connect, read and write by the time left before the deadline of
the request running on this thread (``deadline_scope``). Past the deadline a wait ends at once with
httpx's own timeout error, which the request flow reports as the deadline.

Example::

    >>> import httpx
    >>> transport = deadline_transport(httpx.HTTPTransport())
    >>> with deadline_scope(None):
    ...     pass
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import httpcore

__all__ = ["deadline_scope", "deadline_transport", "time_left"]

_DEADLINE: ContextVar[float | None] = ContextVar("corral_http_deadline", default=None)


@contextlib.contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Socket waits on this thread end by ``deadline`` (a ``time.monotonic()`` value; None: no cap)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` capped by the current deadline; raises ``error`` when the deadline has passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, time_left(timeout, httpcore.ConnectTimeout))
        return _Stream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, left, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(transport: Any) -> Any:
    """Make ``transport``'s new connections honour ``deadline_scope``; returns it.

    httpx offers no public hook for the network backend, so this sets the pool's; where the pool
    has none (another transport, a future httpx) it changes nothing and the request flow still
    checks the deadline between reads.
    """
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if inner is not None and not isinstance(inner, _Backend):
        pool._network_backend = _Backend(inner)  # type: ignore[union-attr]
    return transport
