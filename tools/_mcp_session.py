"""The MCP session's home: an event loop on its own thread, and the task that holds the connection.

An MCP ``ClientSession`` lives inside anyio task groups, which must be entered and left by one task
on one event loop. Tools, though, are called from the agent's thread, from worker threads and from
other event loops. So each server gets a loop thread (``Portal``) and a task that opens the
transport and the session, then waits until told to close (``Connection``); calls are submitted to
that loop. Nothing here imports ``mcp`` at module level: ``corral[mcp]`` is optional.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__: list[str] = []

T = TypeVar("T")
# How long closing waits for the transport to stop its child process or end its HTTP session.
_CLOSE_WAIT = 10.0


class Portal:
    """An asyncio loop running forever on a daemon thread; ``submit`` runs a coroutine there."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=f"corral-mcp-{name}", daemon=True)
        self._thread.start()

    def submit(self, coro: Awaitable[T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]

    def run(self, coro: Awaitable[T]) -> T:
        """Run ``coro`` on the portal's loop and wait for it (from any other thread)."""
        return self.submit(coro).result()

    def stop(self) -> None:
        """Cancel what still runs on the loop (calls in flight end with an error), then stop it."""
        self.run(_cancel_others())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def _cancel_others() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Connection:
    """One live session: opened by ``open``, held by a task until ``close``; ``alive`` until then."""

    def __init__(self, transport: Callable[[], Any], session_options: dict[str, Any]) -> None:
        self._transport = transport
        self._options = session_options
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.session: Any = None
        self.broken = False  # a call saw the connection fail: the next call opens a new one

    @property
    def alive(self) -> bool:
        return self.session is not None and not self.broken and self._task is not None and not self._task.done()

    async def open(self, timeout: float) -> None:
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._hold(ready))
        try:
            self.session = await asyncio.wait_for(asyncio.shield(ready), timeout)
        except BaseException:
            await self.close()
            raise

    async def _hold(self, ready: asyncio.Future[Any]) -> None:
        from mcp import ClientSession

        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport())
                session = await stack.enter_async_context(ClientSession(read, write, **self._options))
                await session.initialize()
                ready.set_result(session)
                await self._stop.wait()
        except BaseException as exc:  # a failed start is reported to open(); a later failure ends the task
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError(repr(exc)))
            if not isinstance(exc, Exception):
                raise

    async def close(self) -> None:
        """Leave the session and the transport (stopping a stdio server's process); bounded."""
        self._stop.set()
        task, self._task, self.session = self._task, None, None
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), _CLOSE_WAIT)
        except Exception:  # noqa: BLE001  (a stuck or failing shutdown: cancel it, never hang the caller)
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


def describe_content(result: Any) -> str:
    """The text of a ``CallToolResult`` for the model: text parts as they are, other parts named."""
    parts = [_part(block) for block in (getattr(result, "content", None) or [])]
    text = "\n".join(p for p in parts if p)
    if not text and getattr(result, "structured_content", None) is not None:
        import json

        return json.dumps(result.structured_content, sort_keys=True, ensure_ascii=False, default=str)
    return text


def _part(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        return f"[{kind} {block.mime_type}, {len(block.data) * 3 // 4} bytes, not shown]"
    if kind == "resource":
        inner = block.resource
        return getattr(inner, "text", None) or f"[binary resource {inner.uri}, not shown]"
    if kind == "resource_link":
        return f"[resource {block.uri}]"
    return f"[{kind or type(block).__name__} content, not shown]"
