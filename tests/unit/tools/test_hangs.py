"""Abandoned work never holds the process or starves later calls (issue 13 §2).

The exit tests run a real child interpreter: a tool that never returns is abandoned at its
timeout, the child prints its answer and must then exit. ``subprocess.run(timeout=...)`` turns a
hang into a test failure (a generous bound, not a timing assertion).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import time

from corral.tools import Registry, adispatch, dispatch, tool
from corral.tools._daemon import DaemonWorkers, bounded

_HANG_LIMIT = 60  # seconds a child may take before we call it hung


def _run_child(code: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            check=False,
            timeout=_HANG_LIMIT,
        )
    except subprocess.TimeoutExpired as exc:  # the bug: the child printed, then never exited
        raise AssertionError(f"child process did not exit; it printed {exc.stdout!r}") from None


def test_a_process_exits_after_a_sync_tool_timed_out():
    done = _run_child("""
        import threading
        from corral.tools import Registry, dispatch, tool

        @tool(timeout=0.2)
        def forever() -> str:
            threading.Event().wait()
            return "never"

        (r,) = dispatch(Registry([forever]), [{"name": "forever", "arguments": {}}])
        print("answer:", r.error.kind)
    """)
    assert done.returncode == 0, done.stderr
    assert "answer: timeout" in done.stdout


def test_a_process_exits_after_a_sync_blocking_async_tool_timed_out():
    # An async tool that blocks its event loop cannot be cancelled: dispatch walks away from its thread.
    done = _run_child("""
        import time
        from corral.tools import Registry, dispatch, tool

        @tool(timeout=0.2)
        async def blocks() -> str:
            time.sleep(3600)
            return "never"

        (r,) = dispatch(Registry([blocks]), [{"name": "blocks", "arguments": {}}])
        print("answer:", r.error.kind)
    """)
    assert done.returncode == 0, done.stderr
    assert "answer: timeout" in done.stdout


def test_a_process_exits_after_an_async_tool_swallowed_its_cancellation():
    done = _run_child("""
        import asyncio
        from corral.tools import Registry, adispatch, tool

        @tool(timeout=0.2)
        async def stubborn() -> str:
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    pass

        async def main():
            (r,) = await adispatch(Registry([stubborn]), [{"name": "stubborn", "arguments": {}}])
            return r.error.kind

        print("answer:", asyncio.run(main()))
    """)
    assert done.returncode == 0, done.stderr
    assert "answer: timeout" in done.stdout


async def test_adispatch_walks_away_from_a_tool_that_swallows_cancellation():
    cleaned = asyncio.Event()

    @tool(timeout=0.05)
    async def stubborn() -> str:
        try:
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    pass
        finally:
            cleaned.set()  # closing the coroutine still runs its finally blocks

    @tool
    async def fine() -> str:
        return "ok"

    results = await asyncio.wait_for(
        adispatch(Registry([stubborn, fine]), [{"name": "stubborn"}, {"name": "fine"}]), 30
    )
    assert [r.error.kind if r.error else r.content for r in results] == ["timeout", "ok"]
    assert cleaned.is_set()


def test_the_run_deadline_caps_every_call_timeout():
    release = threading.Event()

    @tool(timeout=3600)
    def slow() -> str:
        release.wait(30)
        return "late"

    @tool
    def untimed() -> str:
        release.wait(30)
        return "late too"

    deadline = time.monotonic() + 0.2
    results = dispatch(Registry([slow, untimed]), [{"name": "slow"}, {"name": "untimed"}], deadline=deadline)
    release.set()
    assert [r.error.kind for r in results] == ["timeout", "timeout"]


async def test_the_run_deadline_caps_async_dispatch_too():
    @tool
    async def slow() -> str:
        await asyncio.sleep(3600)
        return "late"

    deadline = time.monotonic() + 0.1
    (r,) = await asyncio.wait_for(adispatch(Registry([slow]), [{"name": "slow"}], deadline=deadline), 30)
    assert r.error.kind == "timeout"


def test_stuck_workers_never_starve_later_work():
    workers, release = DaemonWorkers("test-worker"), threading.Event()
    stuck = [workers.submit(release.wait) for _ in range(20)]
    try:
        assert workers.submit(sum, [1, 2]).result(timeout=30) == 3
        names = [t for t in threading.enumerate() if t.name == "test-worker"]
        assert len(names) >= 21 and all(t.daemon for t in names)
    finally:
        release.set()
    assert all(f.result(timeout=30) for f in stuck)


def test_idle_workers_are_reused_and_then_leave():
    workers = DaemonWorkers("reuse-worker", idle_seconds=0.2)
    first = workers.submit(threading.get_ident).result(timeout=30)
    second = workers.submit(threading.get_ident).result(timeout=30)
    assert first == second  # the idle thread took the second call
    for _ in range(300):  # up to 30 s for the idle thread to end
        if not any(t.name == "reuse-worker" for t in threading.enumerate()):
            break
        time.sleep(0.1)
    assert not any(t.name == "reuse-worker" for t in threading.enumerate())


def test_worker_exceptions_reach_the_future():
    future = DaemonWorkers("err-worker").submit(int, "x")
    try:
        future.result(timeout=30)
    except ValueError as exc:
        assert "invalid literal" in str(exc)
    else:
        raise AssertionError("the worker's exception was lost")


async def test_bounded_returns_the_value_in_time():
    assert await bounded(asyncio.sleep(0, "done"), 5) == "done"
