"""The tool phase of a turn: approvals, the tool_call guard, dispatch, the tool_result guard, results."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Generator, Mapping
from typing import Any

from corral.prompts.messages import Message, ToolCall

from .. import events as ev
from ..references import UnknownReference
from ..result import Decision, Edit, PendingCall, Reject, RunResult, ToolCallRecord, Usage
from .policy import RunPolicy
from .steps import (
    MODEL_MISTAKES,
    AskApproval,
    CallTools,
    Phase,
    RunState,
    add_message,
    check_guard,
    finish,
    spend_retry,
)

__all__: list[str] = []


def tool_phase(cfg: RunPolicy, st: RunState, calls: list[ToolCall], approvals: Mapping[str, Decision]) -> Phase:
    """Approve, guard, dispatch and check one turn's calls; returns None to go on, or a RunResult."""
    outcomes: dict[str, ToolCallRecord] = {}
    calls = [_resolved(st, call, outcomes) for call in calls]
    decisions = dict(approvals)
    for call in calls:
        if call.id in decisions or call.id in outcomes or not cfg.needs_approval(call.name):
            continue
        if not cfg.has_approval_handler:
            return (yield from _pause(cfg, st, calls))
        decisions[call.id] = yield AskApproval(_pending(cfg, call))
    runnable: list[ToolCall] = []
    for call in calls:
        if call.id in outcomes:  # a handle it names is unknown: the model hears why
            continue
        decided = decisions.get(call.id)
        if isinstance(decided, Reject):
            outcomes[call.id] = make_record(st, call, f"Rejected by the user: {decided.reason}", status="rejected")
            continue
        if isinstance(decided, Edit):
            call = call.model_copy(update={"arguments": dict(decided.arguments)})
        blocked = yield from _call_guard(cfg, st, call)
        if blocked is not None:
            outcomes[call.id] = blocked
            continue
        st.calls_so_far[call.name] = st.calls_so_far.get(call.name, 0) + 1
        runnable.append(call)
    if runnable:
        t0 = time.perf_counter()
        results = yield CallTools(runnable, _run_context(st))
        st.tool_seconds += time.perf_counter() - t0
        for call, res in zip(runnable, results):
            outcomes[call.id] = yield from _result_guard(cfg, st, call, res)
    return (yield from append_results(cfg, st, calls, outcomes))


def _resolved(st: RunState, call: ToolCall, outcomes: dict[str, ToolCallRecord]) -> ToolCall:
    """The call with the handles in its arguments replaced by the redacted text they stand for
    (the guards, approvals and the tool see real values); an unknown handle makes an error record."""
    if not st.references:
        return call
    try:
        arguments = st.references.resolve(call.arguments)
    except UnknownReference as exc:
        outcomes[call.id] = make_record(st, call, str(exc), status="error", error_kind="invalid_arguments")
        return call
    return call if arguments == call.arguments else call.model_copy(update={"arguments": arguments})


def _run_context(st: RunState) -> Any:
    """The run's RunContext with the usage so far (the turns closed, and this turn's completion)."""
    if st.context is None:
        return None
    turns, c = Usage.from_turns(st.turns), st.completion
    if c is not None:
        turns = Usage(
            requests=turns.requests + 1,
            prompt_tokens=turns.prompt_tokens + c.prompt_tokens,
            prompt_tokens_evaluated=turns.prompt_tokens_evaluated + c.prompt_tokens_evaluated,
            completion_tokens=turns.completion_tokens + c.completion_tokens,
        )
    return dataclasses.replace(st.context, usage=turns, turn=st.turn)


def append_results(cfg: RunPolicy, st: RunState, calls: list[ToolCall], outcomes: dict[str, ToolCallRecord]) -> Phase:
    mistaken = []
    for call in calls:
        rec = outcomes[call.id]
        st.records.append(rec)
        if st.observed:
            yield ev.ToolResultReady(run_id=st.run_id, turn=st.turn, record=rec)
        text = rec.result if rec.status != "ok" or call.id in st.trusted_results else cfg.tool_message_text(rec.result)
        yield from add_message(st, Message(role="tool", content=text, tool_call_id=call.id, name=call.name))
        if rec.error_kind in MODEL_MISTAKES:
            mistaken.append(rec)
    if not mistaken:
        st.mistakes = 0
        return None
    return (yield from spend_retry(cfg, st, mistaken[0].error_kind or "tool_error", mistaken[0].result))


def _pending(cfg: RunPolicy, call: ToolCall) -> PendingCall:
    return PendingCall(
        id=call.id or "",
        name=call.name,
        arguments=dict(call.arguments),
        requires_approval=cfg.needs_approval(call.name),
    )


def _pause(cfg: RunPolicy, st: RunState, calls: list[ToolCall]) -> Generator[Any, Any, RunResult]:
    pending = tuple(_pending(cfg, c) for c in calls)
    yield ev.ApprovalRequested(run_id=st.run_id, turn=st.turn, pending=pending)
    names = ", ".join(p.name for p in pending if p.requires_approval)
    why = (
        f"Paused: {names} need(s) approval. Resume with agent.run(history=result, "
        "approvals={call_id: Approve() | Edit(arguments=...) | Reject(reason)})."
    )
    return (yield from finish(cfg, st, "approval_required", None, why, pending=list(pending)))


def make_record(st: RunState, call: ToolCall, text: str, **kw: Any) -> ToolCallRecord:
    return ToolCallRecord(
        id=call.id or "", name=call.name, arguments=dict(call.arguments), result=text, turn=st.turn, **kw
    )


def _call_guard(cfg: RunPolicy, st: RunState, call: ToolCall) -> Generator[Any, Any, ToolCallRecord | None]:
    if not cfg.stage_active("tool_call"):
        return None
    sources = run_sources(st) if cfg.provenance else ((), (), ())
    payload = cfg.tool_call_payload(call, st.calls_so_far, st.user_text, sources)
    checked = yield from check_guard(cfg, st, "tool_call", payload)
    if not checked.blocked:
        return None
    verdict = checked.blocked_by
    return make_record(
        st, call, cfg.call_blocked_text(call, verdict), status="blocked", blocked_by=getattr(verdict, "guard", None)
    )


def _result_guard(cfg: RunPolicy, st: RunState, call: ToolCall, res: Any) -> Generator[Any, Any, ToolCallRecord]:
    if res.error is not None:  # our own error text: nothing third-party to check
        return make_record(
            st, call, res.content or res.error.message, status="error", error_kind=res.error.kind, duration=res.duration
        )
    text = res.content
    if getattr(res.output, "__corral_trusted__", False):  # the tool returned trusted(...): the pipeline's own
        st.trusted_results.add(call.id or "")
        text = res.output.__class__(text, res.output.source)
    if cfg.stage_active("tool_result"):
        checked = yield from check_guard(cfg, st, "tool_result", text)
        if checked.blocked:
            verdict = checked.blocked_by
            return make_record(
                st,
                call,
                cfg.result_blocked_text(call, verdict),
                status="blocked",
                blocked_by=getattr(verdict, "guard", None),
                duration=res.duration,
            )
        if checked.action == "redact":
            text = checked.payload
            if cfg.references:
                text = st.references.add(res.content, text)
            if cfg.provenance:  # a value redacted from the prompt still came from the tool
                st.raw_results[call.id or ""] = res.content
    return make_record(st, call, str(text), output=res.output, duration=res.duration)


def run_sources(st: RunState) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(what the user and system wrote, what tool results said, the user's turns) so far: provenance
    for the tool_call guards, and what the model was given for the output guards that read it.

    corral's own corrections are neither (they may quote the model); trusted tool results count as ours.
    """
    ours = [m.content for m in st.messages if m.role in ("system", "user") and m.name != "corral" and m.content]
    asked = tuple(m.content for m in st.messages if m.role == "user" and m.name != "corral" and m.content)
    theirs = [m.content for m in st.messages[: st.start] if m.role in ("tool", "ipython") and m.content]
    for rec in st.records:
        (ours if rec.id in st.trusted_results else theirs).append(st.raw_results.get(rec.id, rec.result))
    return tuple(ours), tuple(theirs), asked


def repeat_text(st: RunState, call: ToolCall) -> str:
    earlier = next((r for r in reversed(st.records) if r.name == call.name and r.arguments == call.arguments), None)
    got = f" The result was: {earlier.result}" if earlier is not None else ""
    return (
        f"You already called {call.name} with exactly these arguments; it was not run again.{got} "
        "Use that result to answer, or call something different."
    )
