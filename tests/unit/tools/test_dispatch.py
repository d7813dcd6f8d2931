"""Dispatch: validation, concurrency, timeouts, failures; never an exception for a bad call."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Any

import pytest
from pydantic import BaseModel

from corral.exceptions import ModelRetry, ToolDefinitionError
from corral.prompts.messages import ToolCall
from corral.tools import Registry, Tool, ToolResult, adispatch, dispatch, tool


class Point(BaseModel):
    x: float
    y: float = 0.0


@tool
def search(query: str, limit: int = 3) -> list[str]:
    """Search."""
    return [query] * limit


@tool
def fetch(url: str) -> str:
    return url


def call(name: str, args: Any = None, id: str | None = None) -> ToolCall | dict[str, Any]:
    if isinstance(args, str):
        return {"name": name, "arguments": args, "id": id}
    return ToolCall(name=name, arguments=args or {}, id=id)


def both(registry, calls, **kw) -> list[ToolResult]:
    """Run through dispatch and adispatch and check they agree; return dispatch's results."""
    sync = dispatch(registry, calls, **kw)
    asy = asyncio.run(adispatch(registry, calls, **kw))
    assert [(r.name, r.content, r.error) for r in sync] == [(r.name, r.content, r.error) for r in asy]
    return sync


REG = Registry([search, fetch])


def test_results_carry_id_arguments_raw_output_and_content():
    (r,) = both(REG, [call("search", {"query": "llama", "limit": 2}, id="c1")])
    assert (r.call_id, r.name, r.arguments) == ("c1", "search", {"query": "llama", "limit": 2})
    assert r.output == ["llama", "llama"] and r.content == '["llama","llama"]'
    assert not r.is_error and r.duration >= 0


def test_unknown_tool_lists_available_tools_and_suggests():
    (r,) = both(REG, [call("serch", {"query": "x"})])
    assert r.error.kind == "unknown_tool"
    assert r.content == "Unknown tool 'serch'. Available tools: search, fetch. Did you mean 'search'?"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, "missing required argument 'query' (string)"),
        ({"query": 3}, "argument 'query': expected string, got integer 3"),
        ({"query": "x", "limit": "2"}, "argument 'limit': expected integer, got string '2'"),
        ({"query": "x", "lmit": 2}, "unexpected argument 'lmit' (allowed arguments: query, limit)"),
    ],
)
def test_invalid_arguments_say_what_is_wrong_and_the_tool_is_not_run(args, expected):
    ran = []

    def search(query: str, limit: int = 3) -> str:
        ran.append(query)
        return query

    (r,) = both(Registry([search]), [call("search", args)])
    assert r.error.kind == "invalid_arguments" and expected in r.content
    assert r.output is None and not ran


def test_arguments_as_a_json_string_are_accepted_and_bad_json_is_explained():
    ok, bad = both(REG, [call("fetch", '{"url": "u"}'), call("fetch", '{"url": ')])
    assert ok.output == "u"
    assert bad.error.kind == "invalid_arguments" and "not valid JSON" in bad.content


def test_schema_tool_rejects_arguments_its_function_cannot_take():
    t = Tool.from_schema("f", "", {"type": "object", "properties": {"a": {"type": "integer"}}}, lambda a: a)
    (r,) = both(Registry([t]), [call("f", {"a": 1, "b": 2})])
    assert r.error.kind == "invalid_arguments" and "unexpected argument 'b' (allowed arguments: a)" in r.content


def test_arguments_are_coerced_to_python_types():
    seen = {}

    @tool
    def place(p: Point, scale: float) -> str:
        seen.update(p=p, scale=scale)
        return "ok"

    both(Registry([place]), [call("place", {"p": {"x": 1}, "scale": 2})])
    assert seen["p"] == Point(x=1.0) and isinstance(seen["scale"], float)


def test_exceptions_become_results_with_type_and_message_only():
    @tool
    def boom(n: int) -> int:
        raise ValueError(f"n={n} is bad")

    (r,) = both(Registry([boom]), [call("boom", {"n": 1})])
    assert r.error.kind == "exception"
    assert r.content == "Tool 'boom' raised ValueError: n=1 is bad"
    assert "Traceback" not in r.content and "File " not in r.content


def test_model_retry_sends_its_message_back():
    @tool
    def lookup(city: str) -> str:
        raise ModelRetry(f"Unknown city {city!r}; try 'Paris'.")

    (r,) = both(Registry([lookup]), [call("lookup", {"city": "Pari"})])
    assert (r.error.kind, r.content) == ("retry", "Unknown city 'Pari'; try 'Paris'.")


def test_huge_outputs_are_capped_with_a_marker_but_the_raw_output_is_kept():
    @tool
    def dump(n: int) -> str:
        return "x" * n

    (r,) = both(Registry([dump]), [call("dump", {"n": 100_000})], max_result_chars=1000)
    assert len(r.content) <= 1000 and r.content.endswith("of 100000 characters]")
    assert len(r.output) == 100_000


def test_results_come_back_in_call_order_even_when_finishing_out_of_order():
    @tool
    def wait(seconds: float, label: str) -> str:
        time.sleep(seconds)
        return label

    calls = [
        call("wait", {"seconds": 0.15, "label": "slow"}),
        call("nope"),
        call("wait", {"seconds": 0, "label": "fast"}),
    ]
    results = both(Registry([wait]), calls)
    assert [r.content for r in results[::2]] == ["slow", "fast"]
    assert results[1].error.kind == "unknown_tool"


def _overlap_registry(log: list[tuple[str, str, float]]) -> Registry:
    lock = threading.Lock()

    @tool
    def nap(label: str) -> str:
        with lock:
            log.append(("start", label, time.perf_counter()))
        time.sleep(0.2)
        with lock:
            log.append(("end", label, time.perf_counter()))
        return label

    return Registry([nap])


def test_several_sync_calls_in_one_turn_run_concurrently():
    # Each call waits for the other at a barrier: run one after the other, the first would break it.
    barrier = threading.Barrier(2, timeout=10)

    @tool
    def meet(label: str) -> str:
        barrier.wait()
        return label

    results = dispatch(Registry([meet]), [call("meet", {"label": "a"}), call("meet", {"label": "b"})])
    assert [(r.content, r.error) for r in results] == [("a", None), ("b", None)]


def test_a_lone_sync_call_stays_on_the_callers_thread():
    threads: list[int] = []

    @tool
    def where() -> int:
        threads.append(threading.get_ident())
        return 0

    dispatch(Registry([where]), [call("where")])
    dispatch(Registry([where]), [call("where"), call("where")])
    assert threads[0] == threading.get_ident()
    assert threading.get_ident() not in threads[1:]  # two calls: both in workers


def test_caller_thread_tools_keep_a_sqlite_connection_working_beside_concurrent_calls():
    import sqlite3

    db = sqlite3.connect(":memory:")  # bound to this thread: another thread's use raises
    db.execute("create table t (x)")
    barrier = threading.Barrier(2, timeout=10)

    @tool(thread="caller")
    def insert(x: int) -> int:
        db.execute("insert into t values (?)", (x,))
        return db.execute("select count(*) from t").fetchone()[0]

    @tool
    def meet(label: str) -> str:
        barrier.wait()
        return label

    calls = [
        call("insert", {"x": 1}),
        call("meet", {"label": "a"}),
        call("meet", {"label": "b"}),
        call("insert", {"x": 2}),
    ]
    results = dispatch(Registry([insert, meet]), calls)
    assert [(r.content, r.error) for r in results] == [("1", None), ("a", None), ("b", None), ("2", None)]
    results = asyncio.run(adispatch(Registry([insert, meet]), calls))
    assert [r.content for r in results] == ["3", "a", "b", "4"]


def test_a_caller_thread_tool_past_its_deadline_is_a_timeout():
    @tool(thread="caller", timeout=0.01)
    def slow() -> str:
        time.sleep(0.05)
        return "late"

    [result] = dispatch(Registry([slow]), [call("slow")])
    assert result.error.kind == "timeout"


def test_thread_must_be_worker_or_caller():
    with pytest.raises(ToolDefinitionError, match="thread must be"):

        @tool(thread="main")
        def where() -> int:
            return 0


def test_sync_calls_with_a_deadline_really_run_in_parallel():
    log: list[tuple[str, str, float]] = []
    dispatch(_overlap_registry(log), [call("nap", {"label": "a"}), call("nap", {"label": "b"})], default_timeout=5)
    # Both started before either ended: the two 0.2 s sleeps overlapped.
    assert [event for event, _label, _t in sorted(log, key=lambda e: e[2])] == ["start", "start", "end", "end"]


def test_calls_with_a_deadline_overlap_the_inline_ones():
    ready = threading.Event()

    @tool(timeout=5)
    def waiter() -> str:
        return "waited" if ready.wait(5) else "alone"  # only the inline call can set it

    @tool
    def setter() -> str:
        ready.set()
        return "set"

    results = dispatch(Registry([waiter, setter]), [call("waiter"), call("setter")])
    assert [r.content for r in results] == ["waited", "set"]


def test_a_barrier_only_two_concurrent_calls_can_pass():
    barrier = threading.Barrier(2, timeout=5)

    @tool(timeout=10)
    def meet(label: str) -> str:
        barrier.wait()  # raises BrokenBarrierError unless the other call runs at the same time
        return label

    reg = Registry([meet])
    results = both(reg, [call("meet", {"label": "a"}), call("meet", {"label": "b"})])
    assert [r.content for r in results] == ["a", "b"]
    barrier = threading.Barrier(2, timeout=0.2)
    results = dispatch(reg, [call("meet", {"label": "a"}), call("meet", {"label": "b"})], max_concurrency=1)
    # One at a time, nobody ever meets: the first gives up waiting, which breaks the barrier.
    assert [r.content for r in results] == ["Tool 'meet' raised BrokenBarrierError"] * 2


def test_concurrency_cap_is_respected():
    active, peak, lock = [0], [0], threading.Lock()

    @tool
    def work(i: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return i

    results = both(Registry([work]), [call("work", {"i": i}) for i in range(6)], max_concurrency=2, default_timeout=5)
    assert [r.output for r in results] == list(range(6))
    assert peak[0] == 2


async def test_async_tools_run_concurrently_on_the_loop():
    ready = asyncio.Event()

    @tool
    async def waiter() -> str:
        await asyncio.wait_for(ready.wait(), 5)  # only the other call can set it
        return "waited"

    @tool
    async def setter() -> str:
        ready.set()
        return "set"

    results = await adispatch(Registry([waiter, setter]), [call("waiter"), call("setter")])
    assert [r.content for r in results] == ["waited", "set"]


def test_sync_dispatch_runs_async_tools_and_works_inside_a_running_loop():
    @tool
    async def double(n: int) -> int:
        await asyncio.sleep(0)
        return 2 * n

    async def main() -> list[ToolResult]:
        return dispatch(Registry([double]), [call("double", {"n": 2})])

    assert asyncio.run(main())[0].output == 4


def test_sync_timeout_abandons_the_thread_and_later_calls_still_run():
    release, finished = threading.Event(), threading.Event()

    @tool(timeout=0.1)
    def stuck() -> str:
        release.wait(10)
        finished.set()
        return "late"

    @tool(timeout=10)
    def quick() -> str:
        return "quick"

    reg = Registry([stuck, quick])
    (r,) = dispatch(reg, [call("stuck")])
    assert r.error.kind == "timeout" and "0.1 seconds" in r.content and r.output is None
    # the stuck thread holds nothing: later timed calls get threads of their own
    assert [x.content for x in dispatch(reg, [call("quick"), call("quick")])] == ["quick", "quick"]
    release.set()
    assert finished.wait(5)  # the abandoned thread finished on its own; its value went nowhere


async def test_async_timeout_cancels_the_task():
    cancelled = asyncio.Event()

    @tool(timeout=0.05)
    async def slow() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    (r,) = await adispatch(Registry([slow]), [call("slow")])
    assert r.error.kind == "timeout"
    assert cancelled.is_set()


async def test_adispatch_times_out_sync_tools_too():
    release = threading.Event()

    @tool(timeout=0.05)
    def stuck() -> str:
        release.wait(10)
        return "late"

    (r,) = await adispatch(Registry([stuck]), [call("stuck")])
    release.set()
    assert r.error.kind == "timeout"


def test_default_timeout_applies_and_tool_timeout_overrides_it():
    release = threading.Event()

    @tool
    def stuck() -> str:
        release.wait(10)
        return "late"

    patient = Tool.from_function(stuck.func, name="patient", timeout=float("inf"))
    reg = Registry([stuck, patient])
    threading.Timer(0.5, release.set).start()
    timed, waited = dispatch(reg, [call("stuck"), call("patient")], default_timeout=0.05)
    assert timed.error.kind == "timeout" and waited.content == "late"


def test_context_variables_reach_sync_tools_in_threads():
    var: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="nobody")

    @tool
    def whoami() -> str:
        return var.get()

    var.set("alice")
    results = dispatch(Registry([whoami]), [call("whoami"), call("whoami")], default_timeout=5)
    assert [r.content for r in results] == ["alice", "alice"]


def test_schema_only_tool_reports_it_cannot_run():
    t = Tool.from_schema("ghost", "", {"type": "object", "properties": {}})
    (r,) = both(Registry([t]), [call("ghost")])
    assert r.error.kind == "exception" and "no implementation" in r.content


def test_dict_calls_plain_tool_lists_and_empty_turns_work():
    assert dispatch([fetch], []) == []
    (r,) = dispatch([fetch], [{"name": "fetch", "arguments": {"url": "u"}}])
    assert r.content == "u" and r.call_id is None


def test_bad_max_concurrency_is_a_usage_error():
    with pytest.raises(ValueError, match="max_concurrency"):
        dispatch(REG, [call("fetch", {"url": "u"})], max_concurrency=0)
