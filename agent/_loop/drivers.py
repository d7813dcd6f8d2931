"""The two thin drivers of the step machine: one sync, one async. They only do I/O.

Each takes the generator from ``corral._loop.loop.run_steps``, carries out its requests (backend, guards,
tools, approval handler) and yields the events it produces, adding ``ModelDelta`` events when
streaming. Neither contains a decision of the loop.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator

from corral.exceptions import UsageError

from .. import events as ev
from ..backends.base import CompletionDelta
from .loop import AskApproval, CallTools, Chat, CheckGuard, Complete, Steps
from ..result import Approve, Decision, Edit, PendingCall, Reject

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
    raise UsageError(f"An approval must be Approve(), Edit(arguments=...), Reject(reason), True or False; got {value!r}")


def drive(steps: Steps, rt: Runtime, run_id: str, *, stream: bool = False) -> Iterator[ev.Event]:
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
                    send = yield from _stream_sync(rt.backend, req, run_id)
                else:
                    send = rt.backend.complete(req.prompt, stop=req.stop, max_tokens=req.max_tokens, grammar=req.grammar)
            elif cls is CheckGuard:
                send = rt.chain.check(req.stage, req.payload)
            elif cls is CallTools:
                send = dispatch(rt.registry, req.calls, max_concurrency=rt.max_concurrency, default_timeout=rt.tool_timeout)
            elif cls is Chat:
                send = rt.backend.chat(req.messages, tools=req.tools, tool_choice=req.tool_choice, max_tokens=req.max_tokens)
            elif cls is AskApproval:
                send = as_decision(_sync_value(rt.approval_handler(req.call)))
            else:  # pragma: no cover - a new request type without a driver branch
                raise TypeError(f"unknown step request {req!r}")
    except Exception as exc:
        steps.close()
        yield ev.RunFailed(run_id=run_id, error_type=type(exc).__name__, error=str(exc))
        raise


async def adrive(steps: Steps, rt: Runtime, run_id: str, *, stream: bool = False) -> AsyncIterator[ev.Event]:
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
                    async for item in rt.backend.astream(req.prompt, stop=req.stop, max_tokens=req.max_tokens, grammar=req.grammar):
                        if isinstance(item, CompletionDelta):
                            yield ev.ModelDelta(run_id=run_id, turn=req.turn, text=item.text)
                        else:
                            send = item
                else:
                    send = await rt.backend.acomplete(req.prompt, stop=req.stop, max_tokens=req.max_tokens, grammar=req.grammar)
            elif cls is CheckGuard:
                send = await rt.chain.acheck(req.stage, req.payload)
            elif cls is CallTools:
                send = await adispatch(rt.registry, req.calls, max_concurrency=rt.max_concurrency, default_timeout=rt.tool_timeout)
            elif cls is Chat:
                send = await rt.backend.achat(req.messages, tools=req.tools, tool_choice=req.tool_choice, max_tokens=req.max_tokens)
            elif cls is AskApproval:
                answer = rt.approval_handler(req.call)  # type: ignore[misc]
                send = as_decision(await answer if inspect.isawaitable(answer) else answer)
            else:  # pragma: no cover
                raise TypeError(f"unknown step request {req!r}")
    except Exception as exc:
        steps.close()
        yield ev.RunFailed(run_id=run_id, error_type=type(exc).__name__, error=str(exc))
        raise


def _stream_sync(backend: Any, req: Complete, run_id: str) -> Iterator[ev.Event]:
    completion = None
    for item in backend.stream(req.prompt, stop=req.stop, max_tokens=req.max_tokens, grammar=req.grammar):
        if isinstance(item, CompletionDelta):
            yield ev.ModelDelta(run_id=run_id, turn=req.turn, text=item.text)
        else:
            completion = item
    return completion


def _sync_value(value: Any) -> Any:
    if inspect.isawaitable(value):
        raise UsageError("An async approval_handler needs the async API: use arun/astream, or a sync handler")
    return value
