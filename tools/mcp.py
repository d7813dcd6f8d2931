"""Tools from MCP servers (the Model Context Protocol): stdio child processes or streamable HTTP.

Install the extra: ``pip install 'corral[mcp]'``. ``import corral`` never imports ``mcp``.

Example::

    from corral import Agent
    from corral.tools.mcp import MCPServer

    files = MCPServer.stdio("python", ["examples/mcp_server.py"], allow=["notes.search"])
    with Agent(backend, tools=[files]) as agent:     # the agent connects, lists, and closes it
        agent.run("What do my notes say about tea?")

Each allowed tool of the server becomes a :class:`~corral.tools.Tool` with the server's name,
description and input schema; the model's arguments are validated against that schema before the
call goes out. A call runs on the server's own event-loop thread and is bounded by ``timeout``.

What the server sends is third-party content: a result, a tool error the server reports and a
protocol error message all come back as the call's *result text*, so the agent's ``tool_result``
guards check them like any other result. Only corral's own failure messages (timeout, connection
lost) are error results. When a server dies mid-run the call becomes such an error result (it may
or may not have run on the server) and the next call starts a new session: a new process for
stdio, a new HTTP session for a URL. A run never crashes because a server went away.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.exceptions import (
    MissingExtraError,
    ToolDefinitionError,
    ToolServerError,
    UsageError,
)

from ._mcp_session import Connection, Portal, describe_content
from .definition import Tool
from .registry import Registry
from .schema import tidy_schema

__all__ = ["MCPServer"]

_OPEN: weakref.WeakSet[MCPServer] = weakref.WeakSet()
# The dispatcher enforces a call's timeout (the Tool's); the SDK's own, a little later, only backs it up.
_BACKSTOP = 5.0
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]")


def _require_mcp() -> None:
    try:
        import mcp  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(
            f"MCP tool servers need the 'mcp' package ({exc}); install it with: pip install 'corral[mcp]'"
        ) from None


class MCPServer:
    """One MCP tool server: how to reach it, which of its tools the model may call, and the session.

    Build one with :meth:`stdio` (spawn a command) or :meth:`http` (a streamable HTTP URL).
    ``allow``: the tool names the model may call (None: all the server lists; a name the server
    does not list is an error at connect time). ``prefix`` is put before every tool name.
    ``timeout``: seconds per call; ``start_timeout``: seconds to start, initialize and list. Use it as a context manager, or give it to an
    ``Agent`` (which then connects and closes it).

    Example::

        >>> server = MCPServer.stdio("python", ["server.py"], name="files", allow=["fs.read-file"])
        >>> server.connected, server.name
        (False, 'files')
    """

    def __init__(
        self,
        *,
        name: str,
        command: str | None = None,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        allow: Iterable[str] | None = None,
        prefix: str = "",
        timeout: float = 30.0,
        start_timeout: float = 30.0,
    ) -> None:
        if (command is None) == (url is None):
            raise UsageError(f"MCP server {name!r}: give exactly one of command (stdio) or url (streamable HTTP)")
        for what, value in (("timeout", timeout), ("start_timeout", start_timeout)):
            if not isinstance(value, (int, float)) or value <= 0:
                raise UsageError(f"MCP server {name!r}: {what} must be a positive number of seconds, got {value!r}")
        self.name, self.command, self.args = name, command, list(args)
        self.env, self.cwd, self.url = dict(env or {}), cwd, url
        self.headers = dict(headers or {})
        self.allow = None if allow is None else list(allow)
        self.prefix, self.timeout, self.start_timeout = prefix, float(timeout), float(start_timeout)
        self._portal: Portal | None = None
        self._conn: Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._tools: list[Tool] = []
        self._guard = threading.Lock()  # connect/close from several threads

    @classmethod
    def stdio(cls, command: str, args: Sequence[str] = (), *, name: str | None = None, **options: Any) -> MCPServer:
        """A server spawned as a child process speaking MCP on stdin/stdout.

        ``env`` is added to a minimal default environment (the SDK's: PATH, HOME, ...), ``cwd`` is
        where it runs. Example: ``MCPServer.stdio("npx", ["-y", "@modelcontextprotocol/server-everything"])``.
        """
        return cls(name=name or Path(args[-1] if args else command).stem, command=command, args=args, **options)

    @classmethod
    def http(cls, url: str, *, name: str | None = None, **options: Any) -> MCPServer:
        """A server at a streamable HTTP endpoint (e.g. ``http://127.0.0.1:8000/mcp``); ``headers`` are sent."""
        if not re.match(r"^https?://", url):
            raise UsageError(f"MCP server URL {url!r}: it must start with http:// or https://")
        return cls(name=name or url, url=url, **options)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True between :meth:`connect` and :meth:`close`."""
        return self._portal is not None

    def connect(self) -> MCPServer:
        """Start (or reach) the server, open a session and list its tools; ToolServerError says why not."""
        _require_mcp()
        with self._guard:
            if self._portal is not None:
                return self
            self._portal = Portal(self.name)
            try:
                self._tools = self._portal.run(self._start())
            except BaseException:
                self._shutdown()
                raise
            _OPEN.add(self)
        return self

    def close(self) -> None:
        """End the session; a stdio server's process is stopped. Safe to call twice."""
        with self._guard:
            self._shutdown()
            _OPEN.discard(self)

    async def aclose(self) -> None:
        """Async twin of :meth:`close` (the work happens on the server's own thread)."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def _shutdown(self) -> None:
        portal, self._portal = self._portal, None
        if portal is None:
            return
        if self._conn is not None:
            portal.run(self._conn.close())
        self._conn = None
        portal.stop()

    def __enter__(self) -> MCPServer:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> MCPServer:
        await asyncio.get_running_loop().run_in_executor(None, self.connect)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        where = self.url or " ".join([self.command or "", *self.args])
        return f"MCPServer({self.name!r}, {where!r}, connected={self.connected})"

    # --- tools ----------------------------------------------------------------------------

    def registry(self) -> Registry:
        """The server's allowed tools as a Registry (connect first)."""
        if self._portal is None:
            raise UsageError(f"MCP server {self.name!r} is not connected: call connect(), or use it in a with block")
        return Registry(self._tools)

    async def _start(self) -> list[Tool]:
        self._lock = asyncio.Lock()
        await self._reconnect()
        listed = await self._list_tools()
        return self._tools_from(listed)

    async def _reconnect(self) -> None:
        if self._conn is not None:
            await self._conn.close()
        self._conn = Connection(self._transport, {"read_timeout_seconds": self.start_timeout})
        try:
            await self._conn.open(self.start_timeout)
        except Exception as exc:
            self._conn = None
            raise ToolServerError(
                f"Cannot start MCP server {self.name!r} ({self._where()}): {_why(exc)}. "
                "Check the command or URL, and run the server by hand to see its errors."
            ) from exc

    def _transport(self) -> Any:
        if self.url is not None:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            client = create_mcp_http_client(headers=self.headers or None)
            return streamable_http_client(self.url, http_client=client)
        from mcp import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=self.command or "", args=self.args, env=self.env or None, cwd=self.cwd)
        return stdio_client(params)

    async def _list_tools(self) -> list[Any]:
        tools, cursor = [], None
        while True:
            from mcp.types import PaginatedRequestParams

            page = await self._conn.session.list_tools(  # type: ignore[union-attr]
                params=PaginatedRequestParams(cursor=cursor) if cursor else None
            )
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                return tools

    def _tools_from(self, listed: list[Any]) -> list[Tool]:
        by_name = {t.name: t for t in listed}
        wanted = list(by_name) if self.allow is None else self.allow
        missing = [n for n in wanted if n not in by_name]
        if missing:
            raise ToolServerError(
                f"MCP server {self.name!r} has no tool(s) {', '.join(map(repr, missing))}; "
                f"it lists: {', '.join(sorted(by_name)) or 'none'}. Fix the allow-list."
            )
        return [self._tool(by_name[n]) for n in wanted]

    def _tool(self, spec: Any) -> Tool:
        name = self.prefix + spec.name
        if _SAFE_NAME.search(name) or not name[:1].isalpha() and name[:1] != "_":
            raise ToolDefinitionError(
                f"MCP server {self.name!r}: tool name {spec.name!r} cannot be called by a Llama model (use "
                "letters, digits, '_', '.' or '-'); leave it out of the allow-list or give a prefix"
            )
        # Inline $defs and drop generated titles (noise for a small model), as for our own tools.
        schema = tidy_schema(dict(spec.input_schema or {"type": "object", "properties": {}}))
        return Tool.from_schema(
            name, spec.description or "", schema, _RemoteCall(self, spec.name), timeout=self.timeout, acts=_acts(spec)
        )

    # --- calls (on the portal's loop) -------------------------------------------------------

    async def _call(self, tool: str, arguments: dict[str, Any]) -> str:
        async with self._lock:  # type: ignore[union-attr]  # one reconnect at a time
            if self._conn is None or not self._conn.alive:
                await self._reconnect()
            conn = self._conn
        assert conn is not None  # _reconnect() either connected or raised
        try:
            result = await conn.session.call_tool(tool, arguments, read_timeout_seconds=self.timeout + _BACKSTOP)
        except asyncio.CancelledError:
            if self._portal is None:  # closed under the call: an error result, not a cancelled run
                raise ToolServerError(f"MCP server {self.name!r} was closed during the call to {tool!r}") from None
            raise
        except Exception as exc:  # noqa: BLE001  (any transport failure becomes the call's result)
            if self._portal is None:
                raise ToolServerError(f"MCP server {self.name!r} was closed during the call to {tool!r}") from None
            return self._failed(conn, tool, exc)
        text = describe_content(result)
        return f"The tool reported an error: {text}" if result.is_error else text

    def _failed(self, conn: Connection, tool: str, exc: Exception) -> str:
        """A protocol error the live server sent is its content (returned, so guards see it); a lost
        connection or a timeout is our failure (raised: an error result)."""
        from mcp import MCPError
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        code = exc.code if isinstance(exc, MCPError) else None
        if code == REQUEST_TIMEOUT:
            raise ToolServerError(f"MCP server {self.name!r} did not answer {tool!r} in time")
        if code is not None and code != CONNECTION_CLOSED:
            return f"The server refused the call: {getattr(exc, 'message', exc)}"
        conn.broken = True
        raise ToolServerError(
            f"MCP server {self.name!r} went away during the call ({_why(exc)}); it may or may "
            "not have run. The server is restarted for the next call."
        ) from exc

    def _where(self) -> str:
        return self.url or " ".join([self.command or "", *self.args])


def _acts(spec: Any) -> bool | None:
    """What the server's annotations say about the tool's effects (``Tool.acts``). Only hints the
    server set count: MCP's defaults call every unannotated tool destructive, which says nothing."""
    hints = getattr(spec, "annotations", None)
    read_only = getattr(hints, "read_only_hint", None)
    if read_only is not None:
        return not read_only
    return True if getattr(hints, "destructive_hint", None) is True else None


class _RemoteCall:
    """The callable behind one MCP tool: an async function the dispatcher awaits or cancels."""

    def __init__(self, server: MCPServer, tool: str) -> None:
        self._server, self._tool = server, tool

    async def __call__(self, **arguments: Any) -> str:
        portal = self._server._portal
        if portal is None:
            raise ToolServerError(
                f"MCP server {self._server.name!r} is closed; connect it again to call {self._tool!r}"
            )
        future = portal.submit(self._server._call(self._tool, arguments))
        return await asyncio.wrap_future(future)  # cancelling this wait cancels the call on the portal


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@atexit.register
def _close_all() -> None:
    # A server nobody closed must not outlive us as an orphaned child process.
    for server in list(_OPEN):
        try:
            server.close()
        except Exception as exc:  # noqa: BLE001  (exiting: one server's failure must not keep others open)
            logging.getLogger(__name__).warning("closing MCP server %r at exit failed: %s", server.name, exc)
