"""The two thin drivers of the step machine: one sync, one async. They only do I/O.

Each takes the generator from ``corral._loop.loop.run_steps``, carries out its requests (backend, guards,
tools, approval handler) and yields the events it produces, adding ``ModelDelta`` events when
streaming. Neither contains a decision of the loop.

``deadline`` (a ``time.monotonic()`` instant: the run's budget) bounds tool calls and model calls
too. A model call that overruns it is answered with ``TIMED_OUT`` (the run then stops with
``stop_reason="timeout"``):

* async: the call is cancelled (and left behind if it ignores that, see ``corral.tools._daemon``);
* sync: a backend that declares ``accepts_deadline`` (the embedded llama.cpp one) gets the deadline
  and stops generating at the next token once it has passed; any other backend's call runs in a
  daemon thread that the run walks away from at the deadline. A sync stream is checked between
  its pieces, so a stream stuck inside one piece is bounded by the backend's own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from typing import Any

from corral.exceptions import UsageError

from .. import events as ev
from ..backends.base import CompletionDelta, ToolCallDelta
from ..result import Approve, Decision, Edit, PendingCall, Reject
from .loop import TIMED_OUT, AskApproval, CallTools, Chat, CheckGuard, Complete, Steps

__all__ = ["Runtime", "drive", "adrive", "as_decision"]


@dataclass(frozen=True, kw_only=True)
class Runtime:
    """The live parts a driver talks to."""

    backend: Any
    registry: Any
    chain: Any
    approval_handler: Callable[[PendingCall], Any] | None = None
    max_concurrency: int = 8
    tool_timeout: float | None = None


def as_decision(value: Any) -> Decision:
    """Normalise an approval answer: a Decision, True (approve), False (reject), or a dict (edited arguments)."""
    if isinstance(value, (Approve, Edit, Reject)):
        return value
    if value is True:
        return Approve()
    if value is False or value is None:
        return Reject()
    if isinstance(value, dict):
        return Edit(arguments=value)
    if isinstance(value, str):
        return Reject(value)
    raise UsageError(
        f"An approval must be Approve(), Edit(arguments=...), Reject(reason), True or False; got {value!r}"
    )


def fail(steps: Steps, exc: Exception) -> None:
    """Hand a failure to the step machine, which records the run so far on a RunError
    (``messages``, ``tool_calls``), then close it."""
    try:
        steps.throw(exc)
    except Exception:  # noqa: BLE001, S110 - the driver re-raises the original failure itself
        pass
    steps.close()


def drive(
    steps: Steps, rt: Runtime, run_id: str, *, stream: bool = False, deadline: float | None = None
) -> Iterator[ev.Event]:
    """Run the step machine synchronously, yielding its events."""
    from corral.tools import dispatch

    send: Any = None
    try:
        while True:
            try:
                req = steps.send(send)
            except StopIteration:
                return
            cls = req.__class__
            if isinstance(req, ev.Event):
                yield req
                send = None
            elif cls is Complete:
                if stream and hasattr(rt.backend, "stream"):
                    send = yield from _stream_sync(rt.backend, req, run_id, deadline)
                else:
                    send = _complete_sync(rt.backend, req, deadline)
            elif cls is CheckGuard:
                send = rt.chain.check(req.stage, req.payload)
            elif cls is CallTools:
                send = dispatch(
                    rt.registry,
                    req.calls,
                    max_concurrency=rt.max_concurrency,
                    default_timeout=rt.tool_timeout,
                    deadline=deadline,
                    context=req.context,
                )
            elif cls is Chat:
                if stream and hasattr(rt.backend, "stream_chat"):
                    send = yield from _stream_chat_sync(rt.backend, req, run_id, deadline)
                else:
                    send = _within(
                        deadline,
                        rt.backend.chat,
                        req.messages,
                        tools=req.tools,
                        tool_choice=req.tool_choice,
                        max_tokens=req.max_tokens,
                    )
            elif cls is AskApproval:
                send = as_decision(_sync_value(rt.approval_handler(req.call)))
            else:  # pragma: no cover - a new request type without a driver branch
                raise TypeError(f"unknown step request {req!r}")
    except Exception as exc:
        fail(steps, exc)
        yield ev.RunFailed(run_id=run_id, error_type=type(exc).__name__, error=str(exc))
        raise


async def adrive(
    steps: Steps, rt: Runtime, run_id: str, *, stream: bool = False, deadline: float | None = None
) -> AsyncIterator[ev.Event]:
    """Run the step machine on the event loop, yielding its events."""
    from corral.tools import adispatch

    send: Any = None
    try:
        while True:
            try:
                req = steps.send(send)
            except StopIteration:
                return
            cls = req.__class__
            if isinstance(req, ev.Event):
                yield req
                send = None
            elif cls is Complete:
                if stream and hasattr(rt.backend, "astream"):
                    send = None
                    async for item in _astream(rt.backend, req, deadline):
                        if isinstance(item, CompletionDelta):
                            yield ev.ModelDelta(run_id=run_id, turn=req.turn, text=item.text)
                        else:
                            send = item
                else:
                    send = await _awithin(
                        deadline, rt.backend.acomplete(req.prompt, **_complete_kwargs(rt.backend, req, deadline))
                    )
            elif cls is CheckGuard:
                send = await rt.chain.acheck(req.stage, req.payload)
            elif cls is CallTools:
                send = await adispatch(
                    rt.registry,
                    req.calls,
                    max_concurrency=rt.max_concurrency,
                    default_timeout=rt.tool_timeout,
                    deadline=deadline,
                    context=req.context,
                )
            elif cls is Chat and stream and hasattr(rt.backend, "astream_chat"):
                send = None
                pieces = rt.backend.astream_chat(
                    req.messages, tools=req.tools, tool_choice=req.tool_choice, max_tokens=req.max_tokens
                )
                async for item in _bounded_pieces(pieces, deadline):
                    if item is TIMED_OUT or not isinstance(item, (CompletionDelta, ToolCallDelta)):
                        send = item
                    elif isinstance(item, CompletionDelta):
                        yield ev.ModelDelta(run_id=run_id, turn=req.turn, text=item.text)
            elif cls is Chat:
                send = await _awithin(
                    deadline,
                    rt.backend.achat(
                        req.messages, tools=req.tools, tool_choice=req.tool_choice, max_tokens=req.max_tokens
                    ),
                )
            elif cls is AskApproval:
                answer = rt.approval_handler(req.call)  # type: ignore[misc]
                send = as_decision(await answer if inspect.isawaitable(answer) else answer)
            else:  # pragma: no cover
                raise TypeError(f"unknown step request {req!r}")
    except Exception as exc:
        fail(steps, exc)
        yield ev.RunFailed(run_id=run_id, error_type=type(exc).__name__, error=str(exc))
        raise


def _complete_kwargs(backend: Any, req: Complete, deadline: float | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"stop": req.stop, "max_tokens": req.max_tokens, "grammar": req.grammar}
    if deadline is not None and getattr(backend, "accepts_deadline", False):
        kwargs["deadline"] = deadline
    return kwargs


def _complete_sync(backend: Any, req: Complete, deadline: float | None) -> Any:
    kwargs = _complete_kwargs(backend, req, deadline)
    if deadline is None:
        return backend.complete(req.prompt, **kwargs)
    if "deadline" in kwargs:  # it stops itself: no thread to walk away from
        done = backend.complete(req.prompt, **kwargs)
        return TIMED_OUT if time.monotonic() > deadline else done
    return _within(deadline, backend.complete, req.prompt, **kwargs)


def _within(deadline: float | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or TIMED_OUT when it has not returned by ``deadline`` (it is left to
    finish in a daemon thread: it can neither hold the run nor the process)."""
    if deadline is None:
        return fn(*args, **kwargs)
    from corral.tools._daemon import WORKERS

    future = WORKERS.submit(lambda: fn(*args, **kwargs))
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FuturesTimeout:
        return TIMED_OUT


async def _awithin(deadline: float | None, call: Any) -> Any:
    if deadline is None:
        return await call
    from corral.tools._daemon import bounded

    try:
        return await bounded(call, max(0.0, deadline - time.monotonic()))
    except asyncio.TimeoutError:
        return TIMED_OUT


def _stream_sync(backend: Any, req: Complete, run_id: str, deadline: float | None) -> Iterator[ev.Event]:
    kwargs = _complete_kwargs(backend, req, deadline)
    pieces = backend.stream(req.prompt, **kwargs)
    # A backend that stops itself is read here; any other is read through a daemon thread, piece by
    # piece, so that a piece that never comes cannot hold the run.
    walk_away = deadline is not None and "deadline" not in kwargs
    completion = None
    while True:
        item = _next_within(deadline, pieces) if walk_away else next(pieces, _END)
        if item is _END:
            return completion
        if item is TIMED_OUT:  # still waiting for a piece in its thread: left there
            return TIMED_OUT
        if deadline is not None and time.monotonic() > deadline:
            getattr(pieces, "close", lambda: None)()  # between pieces: a generating backend stops here
            return TIMED_OUT
        if isinstance(item, CompletionDelta):
            yield ev.ModelDelta(run_id=run_id, turn=req.turn, text=item.text)
        else:
            completion = item


_END = object()


def _next_within(deadline: float, pieces: Any) -> Any:
    from corral.tools._daemon import WORKERS

    future = WORKERS.submit(next, pieces, _END)
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FuturesTimeout:  # when the piece comes after all, the stream is stopped there
        future.add_done_callback(lambda _: getattr(pieces, "close", lambda: None)())
        return TIMED_OUT


async def _astream(backend: Any, req: Complete, deadline: float | None) -> AsyncIterator[Any]:
    """The backend's stream, each piece awaited within the deadline; ends with TIMED_OUT when it overran."""
    pieces = backend.astream(req.prompt, **_complete_kwargs(backend, req, deadline))
    async for item in _bounded_pieces(pieces, deadline):
        yield item


async def _aclose(pieces: Any) -> None:
    # The stream was abandoned mid-piece: whatever closing it raises has no reader left.
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await pieces.aclose()


def _stream_chat_sync(backend: Any, req: Chat, run_id: str, deadline: float | None) -> Iterator[ev.Event]:
    pieces = backend.stream_chat(req.messages, tools=req.tools, tool_choice=req.tool_choice, max_tokens=req.max_tokens)
    reply = None
    while True:
        item = _next_within(deadline, pieces) if deadline is not None else next(pieces, _END)
        if item is _END:
            return reply
        if item is TIMED_OUT:
            return TIMED_OUT
        if isinstance(item, CompletionDelta):
            yield ev.ModelDelta(run_id=run_id, turn=req.turn, text=item.text)
        elif not isinstance(item, ToolCallDelta):  # call fragments: the turn's calls come whole in the reply
            reply = item


async def _bounded_pieces(pieces: Any, deadline: float | None) -> AsyncIterator[Any]:
    """An async stream, each piece awaited within the deadline; ends with TIMED_OUT when it overran."""
    while True:
        try:
            item = await _awithin(deadline, pieces.__anext__())
        except StopAsyncIteration:
            return
        if item is TIMED_OUT:
            await _aclose(pieces)
        yield item
        if item is TIMED_OUT:
            return


def _sync_value(value: Any) -> Any:
    if inspect.isawaitable(value):
        raise UsageError("An async approval_handler needs the async API: use arun/astream, or a sync handler")
    return value
