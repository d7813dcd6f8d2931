"""Run the calls of one model turn: validate, run concurrently, and never raise for a bad call.

Each call becomes a :class:`ToolResult`, in call order. The model's mistakes (unknown tool, bad
arguments) and the tool's failures (exception, timeout, :class:`~corral.exceptions.ModelRetry`)
become results with a typed :class:`ToolError` whose message is written for the model.

How calls run:

* ``dispatch``: a turn's only call, when sync and without a deadline, runs on the caller's thread:
  no thread hop (one costs 10-100 us, more than everything else in a turn). Several calls in one
  turn run concurrently in worker threads, and so does any call with a deadline (the caller can
  walk away from it). A tool declared ``thread="caller"`` always runs on the caller's thread, in
  call order, so thread-bound objects (a sqlite connection) keep working; its deadline is checked
  when it returns. An async tool runs in its own event loop in a worker thread.
* ``adispatch``: async tools run on the caller's event loop; sync tools run in worker threads (the
  event loop must not block), except ``thread="caller"`` tools, which run on the loop's thread.
* At most ``max_concurrency`` calls run in worker threads at once. A tool's ``timeout`` overrides
  ``default_timeout``; ``None`` (the default) or ``math.inf`` means no limit.

What a timeout does: an async tool is cancelled; one that ignores the cancellation for
``_ASYNC_GRACE`` seconds is closed (``coroutine.close()``) and left behind. A sync tool cannot be
stopped from outside in Python, so its thread is left to finish on its own: its result is
discarded (it can never reach a later turn). Worker threads are daemon threads
(``corral.tools._daemon``): a stuck call never delays later calls, and never keeps the process
from exiting. Side effects the tool makes after its deadline still happen; a tool that must stop
promptly should be async or check its own deadline.

``deadline`` (a ``time.monotonic()`` instant, e.g. the agent run's) caps every call's timeout; with
one, every call has a deadline, so sync tools run in worker threads too.

Example::

    >>> from corral.tools import Registry, tool
    >>> @tool
    ... def add(a: int, b: int) -> int:
    ...     return a + b
    >>> class Call:  # corral.prompts.ToolCall works the same way
    ...     name, arguments, id = "add", {"a": 1, "b": 2}, "c1"
    >>> [r.content for r in dispatch(Registry([add]), [Call()])]
    ['3']
"""

from __future__ import annotations

import asyncio
import difflib
import json
import math
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import Any, NamedTuple

from corral.exceptions import ModelRetry

from ._daemon import WORKERS, bounded
from .context import RunContext, new_key
from .definition import Tool
from .registry import Registry
from .results import DEFAULT_MAX_RESULT_CHARS, ToolError, ToolResult, serialize_result
from .validation import coerce_arguments, validate_arguments

__all__ = ["dispatch", "adispatch"]

# Grace an async tool gets (in dispatch's threads) to honour its own cancellation.
_ASYNC_GRACE = 0.5


# _Job and _Outcome are NamedTuples rather than frozen dataclasses: one of each is built per call
# on the agent's hot path, and a frozen dataclass costs about three times as much to build.
class _Job(NamedTuple):
    index: int
    call_id: str | None
    arguments: dict[str, Any]
    tool: Tool
    kwargs: dict[str, Any]
    timeout: float | None


class _Outcome(NamedTuple):
    output: Any = None
    error: ToolError | None = None
    duration: float = 0.0


def _fields(call: Any) -> tuple[Any, Any, Any]:
    """(name, id, raw arguments) of a call: a ToolCall-like object or an OpenAI-style dict."""
    if isinstance(call, dict):
        return call.get("name"), call.get("id"), call.get("arguments")
    return getattr(call, "name", None), getattr(call, "id", None), getattr(call, "arguments", None)


def _effective_timeout(tool: Tool, default: float | None, deadline: float | None) -> float | None:
    value = tool.timeout if tool.timeout is not None else default
    if deadline is not None:  # the caller's own time budget bounds every call
        value = min(math.inf if value is None else value, max(0.0, deadline - time.monotonic()))
    return None if value is None or math.isinf(value) else float(value)


def _unknown(name: Any, registry: Registry) -> ToolError:
    names = registry.names
    hint = difflib.get_close_matches(str(name), names, n=1)
    guess = f" Did you mean {hint[0]!r}?" if hint else ""
    listing = ", ".join(names) if names else "none"
    return ToolError(kind="unknown_tool", message=f"Unknown tool {name!r}. Available tools: {listing}.{guess}")


def _arguments(raw: Any) -> dict[str, Any] | ToolError:
    if raw is None:
        return {}
    if isinstance(raw, str):  # OpenAI wire format: arguments as a JSON string
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolError(
                kind="invalid_arguments",
                message=f"Arguments are not valid JSON: {exc.msg} "
                f"at character {exc.pos}. Send the arguments as a JSON object.",
            )
    return raw


def _with_context(tool: Tool, kwargs: dict[str, Any], context: RunContext[Any] | None, call_id: Any) -> dict[str, Any]:
    """Fill the tool's RunContext parameter (the model never sends it; see corral.tools.context)."""
    name = tool._context_param
    if name is None:
        return kwargs
    if context is None:  # dispatched outside an agent run: no deps, a fresh key
        context = RunContext(deps=None, run_id="", idempotency_key=new_key())
    return {**kwargs, name: context.for_call(call_id, tool.name)}


def _prepare(
    registry: Registry,
    index: int,
    call: Any,
    default_timeout: float | None,
    deadline: float | None,
    context: RunContext[Any] | None = None,
) -> _Job | ToolResult:
    """Look the tool up and check the arguments: a job to run, or already an error result."""
    name, call_id, raw_args = _fields(call)
    args = _arguments(raw_args)
    tool = registry.get(name) if isinstance(name, str) else None
    if tool is None:
        error = _unknown(name, registry)
    elif isinstance(args, ToolError):
        error = args
    else:
        error = validate_arguments(tool, args)
        if error is None:
            kwargs = coerce_arguments(tool, args)
            if not isinstance(kwargs, ToolError):
                kwargs = _with_context(tool, kwargs, context, call_id)
                return _Job(
                    index=index,
                    call_id=call_id,
                    arguments=args,
                    tool=tool,
                    kwargs=kwargs,
                    timeout=_effective_timeout(tool, default_timeout, deadline),
                )
            error = kwargs
    shown = args if isinstance(args, dict) else {}
    return ToolResult(call_id=call_id, name=str(name), arguments=shown, error=error, content=error.message)


def _failure(tool: Tool, exc: Exception) -> ToolError:
    if isinstance(exc, ModelRetry):
        return ToolError(kind="retry", message=exc.message)
    text = str(exc)
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return ToolError(kind="exception", message=f"Tool {tool.name!r} raised {detail}")


def _timed_out(job: _Job) -> ToolError:
    return ToolError(
        kind="timeout",
        message=(
            f"Tool {job.tool.name!r} did not finish within {job.timeout:g} seconds and was abandoned; "
            "try again with a smaller request or different arguments."
        ),
    )


def _no_func(tool: Tool) -> ToolError:
    return ToolError(kind="exception", message=f"Tool {tool.name!r} has no implementation to run.")


def _call_sync(job: _Job) -> _Outcome:
    """Run a sync tool (or, in dispatch's threads, an async one in its own loop); never raises."""
    start = time.perf_counter()
    if job.tool.func is None:
        return _Outcome(error=_no_func(job.tool))
    try:
        if job.tool.is_async:
            return asyncio.run(_call_async(job))
        output = job.tool.func(**job.kwargs)
    except Exception as exc:
        return _Outcome(error=_failure(job.tool, exc), duration=time.perf_counter() - start)
    return _Outcome(output=output, duration=time.perf_counter() - start)


async def _call_async(job: _Job) -> _Outcome:
    async def guarded() -> _Outcome:
        # Tool exceptions are caught here, so a TimeoutError below can only be our deadline.
        try:
            return _Outcome(output=await job.tool.func(**job.kwargs))  # type: ignore[misc]
        except Exception as exc:
            return _Outcome(error=_failure(job.tool, exc))

    start = time.perf_counter()
    try:
        outcome = await bounded(guarded(), job.timeout, grace=_ASYNC_GRACE)
    except asyncio.TimeoutError:
        return _Outcome(error=_timed_out(job), duration=time.perf_counter() - start)
    return _Outcome(output=outcome.output, error=outcome.error, duration=time.perf_counter() - start)


def _result(job: _Job, outcome: _Outcome, max_chars: int) -> ToolResult:
    if outcome.error is not None:
        content = outcome.error.message
    else:
        try:
            content = serialize_result(outcome.output, max_chars)
        except Exception as exc:  # a value that cannot even be turned into text
            outcome = _Outcome(error=_failure(job.tool, exc), duration=outcome.duration)
            content = outcome.error.message  # type: ignore[union-attr]
    return ToolResult(
        call_id=job.call_id,
        name=job.tool.name,
        arguments=job.arguments,
        output=outcome.output,
        content=content,
        error=outcome.error,
        duration=outcome.duration,
    )


def _as_registry(registry: Any) -> Registry:
    return registry if isinstance(registry, Registry) else Registry(registry)


def _plan(
    registry: Any,
    calls: Iterable[Any],
    default_timeout: float | None,
    max_concurrency: int,
    deadline: float | None,
    context: RunContext[Any] | None = None,
) -> tuple[list[_Job | ToolResult], list[_Job]]:
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
    reg = _as_registry(registry)
    items = [_prepare(reg, i, call, default_timeout, deadline, context) for i, call in enumerate(calls)]
    return items, [item for item in items if isinstance(item, _Job)]


def dispatch(
    registry: Any,
    calls: Iterable[Any],
    *,
    max_concurrency: int = 8,
    default_timeout: float | None = None,
    max_result_chars: int = DEFAULT_MAX_RESULT_CHARS,
    deadline: float | None = None,
    context: RunContext[Any] | None = None,
) -> list[ToolResult]:
    """Run one turn's calls from synchronous code; one result per call, in call order.

    ``registry`` is a :class:`Registry` (or an iterable of tools); each call has ``.name``,
    ``.arguments`` (dict or JSON string) and optionally ``.id``. Never raises for a model mistake
    or a tool failure. ``context`` fills the ``RunContext`` parameter of tools that take one.
    See the module docstring for threads and timeouts.
    """
    items, jobs = _plan(registry, calls, default_timeout, max_concurrency, deadline, context)
    inline, threaded = _split(jobs)
    if len(threaded) > max_concurrency:
        outcomes = {job.index: _call_inline(job) for job in inline}
        outcomes.update(_run_in_threads(threaded, max_concurrency))
    else:
        running = _submit_all(threaded)  # they start before the inline calls and overlap them
        outcomes = {job.index: _call_inline(job) for job in inline}
        outcomes.update(_collect(running))
    return [
        item if isinstance(item, ToolResult) else _result(item, outcomes[item.index], max_result_chars)
        for item in items
    ]


def _split(jobs: list[_Job]) -> tuple[list[_Job], list[_Job]]:
    """(jobs that run on the caller's thread, jobs that run in worker threads): caller-bound sync
    tools always inline; a lone sync call without a deadline inline too (no hop to pay for)."""
    inline: list[_Job] = []
    threaded: list[_Job] = []
    lone = len(jobs) == 1
    for job in jobs:
        on_caller = not job.tool.is_async and (job.tool.thread == "caller" or (lone and job.timeout is None))
        (inline if on_caller else threaded).append(job)
    return inline, threaded


def _call_inline(job: _Job) -> _Outcome:
    """A call on the caller's thread: it cannot be walked away from, so its deadline is checked after."""
    outcome = _call_sync(job)
    if job.timeout is not None and outcome.duration > job.timeout:
        return _Outcome(error=_timed_out(job), duration=outcome.duration)
    return outcome


def _deadline(job: _Job, now: float) -> float:
    if job.timeout is None:
        return math.inf
    return now + job.timeout + (_ASYNC_GRACE if job.tool.is_async else 0.0)


_Running = list[tuple[float, _Job, "Future[_Outcome]"]]


def _submit_all(jobs: list[_Job]) -> _Running:
    """Start every job in a worker thread (the caller checked they fit under the concurrency cap)."""
    if not jobs:  # the common case: every call runs inline
        return []
    now = time.perf_counter()
    return [(_deadline(job, now), job, WORKERS.submit(_call_sync, job)) for job in jobs]


def _collect(running: _Running) -> dict[int, _Outcome]:
    """Wait for each job by its own deadline. Waiting in deadline order makes every check exact:
    when a job's turn comes, no earlier deadline is pending, so waiting until its deadline never
    oversleeps another's. A job past its deadline is left to its (daemon) thread."""
    outcomes: dict[int, _Outcome] = {}
    for deadline, job, future in sorted(running, key=lambda item: item[0]):
        try:
            left = None if math.isinf(deadline) else max(0.0, deadline - time.perf_counter())
            outcome = future.result(timeout=left)
            # An inline call may have kept us from looking in time: a call that overran is late all the same.
            late = job.timeout is not None and not job.tool.is_async and outcome.duration > job.timeout
            outcomes[job.index] = _Outcome(error=_timed_out(job), duration=outcome.duration) if late else outcome
        except FuturesTimeout:
            outcomes[job.index] = _Outcome(error=_timed_out(job), duration=job.timeout or 0.0)
    return outcomes


def _run_in_threads(jobs: list[_Job], max_concurrency: int) -> dict[int, _Outcome]:
    pending, running, outcomes = list(reversed(jobs)), {}, {}
    while pending or running:
        while pending and len(running) < max_concurrency:
            job = pending.pop()
            running[WORKERS.submit(_call_sync, job)] = (job, _deadline(job, time.perf_counter()))
        soonest = min(deadline for _job, deadline in running.values())
        wait_for = None if math.isinf(soonest) else max(0.0, soonest - time.perf_counter())
        done, _ = wait(list(running), timeout=wait_for, return_when=FIRST_COMPLETED)
        now = time.perf_counter()
        for future in list(running):
            job, deadline = running[future]
            if future in done:
                outcomes[job.index] = future.result()
            elif now >= deadline:  # walked away from: it no longer counts against the cap
                outcomes[job.index] = _Outcome(error=_timed_out(job), duration=job.timeout or 0.0)
            else:
                continue
            del running[future]
    return outcomes


async def adispatch(
    registry: Any,
    calls: Iterable[Any],
    *,
    max_concurrency: int = 8,
    default_timeout: float | None = None,
    max_result_chars: int = DEFAULT_MAX_RESULT_CHARS,
    deadline: float | None = None,
    context: RunContext[Any] | None = None,
) -> list[ToolResult]:
    """Run one turn's calls concurrently on the running event loop; same results as :func:`dispatch`.

    Example::

        >>> import asyncio
        >>> from corral.tools import Registry, tool
        >>> @tool
        ... async def shout(text: str) -> str:
        ...     return text.upper()
        >>> calls = [{"name": "shout", "arguments": {"text": "hi"}}]
        >>> asyncio.run(adispatch(Registry([shout]), calls))[0].content
        'HI'
    """
    items, jobs = _plan(registry, calls, default_timeout, max_concurrency, deadline, context)
    gate = asyncio.Semaphore(max_concurrency)

    async def run(job: _Job) -> _Outcome:
        if job.tool.thread == "caller" and not job.tool.is_async:
            return _call_inline(job)  # thread-bound: on the loop's thread, by the tool's own request
        async with gate:
            return await _call_async(job) if job.tool.is_async else await _call_in_thread(job)

    outcomes = await asyncio.gather(*(run(job) for job in jobs))
    by_index = {job.index: outcome for job, outcome in zip(jobs, outcomes)}
    return [
        item if isinstance(item, ToolResult) else _result(item, by_index[item.index], max_result_chars)
        for item in items
    ]


async def _call_in_thread(job: _Job) -> _Outcome:
    future: Future[_Outcome] = WORKERS.submit(_call_sync, job)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), job.timeout)
    except asyncio.TimeoutError:
        return _Outcome(error=_timed_out(job), duration=job.timeout or 0.0)
