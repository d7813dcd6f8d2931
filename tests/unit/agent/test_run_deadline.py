"""``Agent(timeout=...)`` bounds the whole run: tool calls and model calls too (issue 13 §2).

The slow parts are real: tools blocked on a threading.Event, and an HTTP server (a real socket)
that accepts the request and never answers. Each test checks that the run came back while the slow
part was still stuck, so it holds without asserting any time.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

from corral import Agent
from corral.backends import OpenAIBackend
from corral.testing import ScriptedBackend
from corral.tools import tool


@pytest.fixture
def silent_server():
    """A real TCP server that reads requests and never replies; yields its base URL."""
    server = socket.create_server(("127.0.0.1", 0))
    stop, conns = threading.Event(), []

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    stop.set()
    thread.join(5)
    for conn in conns:
        conn.close()
    server.close()


def _stuck_tool():
    entered, release = threading.Event(), threading.Event()

    @tool
    def slow(city: str) -> str:
        """Look something up slowly.

        Args:
            city: A city.
        """
        entered.set()
        release.wait(60)
        return "late"

    return slow, entered, release


def test_the_run_deadline_bounds_a_sync_tool_call():
    slow, entered, release = _stuck_tool()
    backend = ScriptedBackend(['[slow(city="Paris")]'])
    try:
        result = Agent(backend, tools=[slow], guards=None, timeout=0.3).run("go")
        assert entered.is_set() and not release.is_set()  # back while the tool is still stuck
    finally:
        release.set()
    assert result.stop_reason == "timeout"
    assert [c.error_kind for c in result.tool_calls] == ["timeout"]


async def test_the_run_deadline_bounds_an_async_run_tool_call():
    slow, entered, release = _stuck_tool()
    backend = ScriptedBackend(['[slow(city="Paris")]'])
    try:
        result = await asyncio.wait_for(Agent(backend, tools=[slow], guards=None, timeout=0.3).arun("go"), 60)
        assert entered.is_set() and not release.is_set()
    finally:
        release.set()
    assert result.stop_reason == "timeout" and result.tool_calls[0].error_kind == "timeout"


def test_the_run_deadline_bounds_a_sync_backend_call(silent_server):
    backend = OpenAIBackend(silent_server, timeout=60, max_retries=0)
    result = Agent(backend, guards=None, timeout=0.3, format="llama3.2").run("hello")
    assert result.stop_reason == "timeout" and result.output is None
    assert "model call" in result.stop_message


def test_the_run_deadline_bounds_a_streamed_run(silent_server):
    agent = Agent(OpenAIBackend(silent_server, timeout=60, max_retries=0), guards=None, timeout=0.3, format="llama3.2")
    events = list(agent.stream("hello"))  # pieces are read through a daemon thread the run walks away from
    assert events[-1].result.stop_reason == "timeout"


async def test_the_run_deadline_bounds_an_async_backend_call(silent_server):
    backend = OpenAIBackend(silent_server, timeout=60, max_retries=0)
    agent = Agent(backend, guards=None, timeout=0.3, format="llama3.2")
    result = await asyncio.wait_for(agent.arun("hello"), 60)
    assert result.stop_reason == "timeout"
    events = [e async for e in agent.astream("hello")]  # streamed: each piece is awaited within the deadline
    assert events[-1].result.stop_reason == "timeout"


class _EndlessStream(ScriptedBackend):
    """Streams deltas forever (a model that never stops), counting how many it produced."""

    def __init__(self) -> None:
        super().__init__([])
        self.pieces = 0
        self.closed = threading.Event()

    def stream(self, prompt, **kw):
        from corral.backends.base import CompletionDelta

        try:
            while True:
                self.pieces += 1
                threading.Event().wait(0.01)
                yield CompletionDelta(text="la ")
        finally:
            self.closed.set()


def test_a_sync_stream_that_never_ends_is_stopped_at_the_deadline():
    backend = _EndlessStream()
    events = list(Agent(backend, guards=None, timeout=0.3, format="llama3.2").stream("sing"))
    assert events[-1].result.stop_reason == "timeout"
    assert backend.closed.wait(30)  # the generating backend was told to stop


def test_a_process_exits_when_its_run_abandoned_a_tool():
    code = textwrap.dedent("""
        import threading
        from corral import Agent
        from corral.testing import ScriptedBackend
        from corral.tools import tool

        @tool
        def forever(city: str) -> str:
            '''Never returns.

            Args:
                city: A city.
            '''
            threading.Event().wait()
            return "never"

        agent = Agent(ScriptedBackend(['[forever(city="Paris")]']), tools=[forever], guards=None, timeout=0.3)
        print("answer:", agent.run("go").stop_reason)
    """)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"child process did not exit; it printed {exc.stdout!r}") from None
    assert done.returncode == 0, done.stderr
    assert "answer: timeout" in done.stdout


class _NoVerdict:
    name, fail_open = "sloppy", True

    def check(self, stage, payload):
        return "allow"  # a string, not a Verdict

    async def acheck(self, stage, payload):
        return self.check(stage, payload)


async def test_a_guard_returning_no_verdict_blocks_the_run_instead_of_crashing_it():
    from corral.guards import GuardChain

    chain = GuardChain({"output": [_NoVerdict()]}, fail_open=True)
    for result in (
        Agent(ScriptedBackend(["Hi."]), guards=chain).run("hello"),
        await Agent(ScriptedBackend(["Hi."]), guards=chain).arun("hello"),
    ):
        assert result.stop_reason == "blocked" and result.blocked_by == "sloppy"
        assert "not a Verdict" in result.stop_message
