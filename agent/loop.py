"""The agent loop, written once: a step machine that yields requests and receives their results.

``run_steps`` is a generator. It yields either an :class:`~corral.events.Event` (the driver passes
it on and sends back ``None``) or a request (``Complete``, ``Chat``, ``CheckGuard``, ``CallTools``,
``AskApproval``) that the sync or async driver in ``corral.drivers`` carries out and sends the
result back for. All decisions live here; the drivers only do I/O. (The shape is httpx's
``auth_flow``.)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Generator, Mapping

from corral.exceptions import ToolCallParseError
from corral.prompts.messages import AssistantTurn, Message, ToolCall

from . import events as ev
from .config import LoopConfig
from .result import Decision, Edit, PendingCall, Reject, RunResult, StopReason, ToolCallRecord, TurnRecord

__all__ = ["Complete", "Chat", "CheckGuard", "CallTools", "AskApproval", "Start", "run_steps"]


@dataclass(frozen=True, slots=True)
class Complete:
    """Ask the backend to complete ``prompt`` (the driver may stream it as ``ModelDelta`` events)."""

    turn: int
    prompt: str
    stop: tuple[str, ...]
    max_tokens: int
    grammar: str | None


@dataclass(frozen=True, slots=True)
class Chat:
    """Ask a chat-mode backend for the next assistant turn (the server renders the template)."""

    turn: int
    messages: list[Message]
    tools: list[dict[str, Any]]
    tool_choice: Any
    max_tokens: int


@dataclass(frozen=True, slots=True)
class CheckGuard:
    """Run the guard chain on one stage's payload; the driver sends back a ChainResult."""

    stage: str
    payload: Any


@dataclass(frozen=True, slots=True)
class CallTools:
    """Dispatch these calls (concurrently); the driver sends back the ToolResults in call order."""

    calls: list[ToolCall]


@dataclass(frozen=True, slots=True)
class AskApproval:
    """Ask the agent's approval handler about one call; the driver sends back a Decision."""

    call: PendingCall


@dataclass(frozen=True, kw_only=True)
class Start:
    """How a run begins: prior ``history``, the new ``input`` (None: continue), decisions on pending calls."""

    run_id: str
    history: list[Message]
    input: str | None
    approvals: Mapping[str, Decision] = field(default_factory=dict)
    deadline: float | None = None


@dataclass
class _State:
    run_id: str
    messages: list[Message]
    start: int
    records: list[ToolCallRecord] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    turn: int = 0
    mistakes: int = 0
    last_key: tuple | None = None
    repeats: int = 0
    called_tool: bool = False
    calls_so_far: dict[str, int] = field(default_factory=dict)
    # the turn under way: its start, its completion, and the seconds spent in the model and tools
    turn_start: float = 0.0
    completion: Any = None
    model_seconds: float = 0.0
    tool_seconds: float = 0.0


Steps = Generator[Any, Any, RunResult]
_CONTINUE = object()  # a phase's "go on with the next turn"
_MODEL_MISTAKES = frozenset({"unknown_tool", "invalid_arguments", "retry"})


def run_steps(cfg: LoopConfig, start: Start) -> Steps:
    """The whole run. Yields events and requests; returns the RunResult."""
    st = _State(run_id=start.run_id, messages=list(start.history), start=len(start.history))
    if start.input is not None:
        blocked = yield from _input_stage(cfg, st, start.input)
        if blocked is not None:
            return blocked
    else:
        yield _run_started(cfg, st)
    pending = _trailing_calls(st.messages)
    if pending:
        st.turn_start = time.perf_counter()
        paused = yield from _tool_phase(cfg, st, pending, start.approvals)
        if paused is not None:
            return paused
    while True:
        if st.turn >= cfg.max_turns:
            why = f"No final answer within max_turns={cfg.max_turns} model turns."
            return (yield from _finish(cfg, st, "max_turns", None, why))
        if start.deadline is not None and time.monotonic() > start.deadline:
            return (yield from _finish(cfg, st, "timeout", None, "The run's time budget ran out."))
        done = yield from _turn(cfg, st)
        if done is not _CONTINUE:
            return done


def _run_started(cfg: LoopConfig, st: _State) -> ev.RunStarted:
    return ev.RunStarted(run_id=st.run_id, messages=tuple(st.messages), tools=cfg.tool_names,
                         guards=cfg.guard_names, format=cfg.format_name)


def _input_stage(cfg: LoopConfig, st: _State, text: str) -> Generator[Any, Any, RunResult | None]:
    checked = None
    if cfg.stage_active("input"):
        checked = yield from _guard(cfg, st, "input", text)
        if checked.action == "redact":
            text = checked.payload
    st.messages.append(Message(role="user", content=text))
    yield _run_started(cfg, st)
    if checked is not None and checked.blocked:
        return (yield from _blocked_finish(cfg, st, "input", checked))
    return None


def _turn(cfg: LoopConfig, st: _State) -> Generator[Any, Any, Any]:
    st.turn += 1
    st.turn_start, st.tool_seconds, st.completion = time.perf_counter(), 0.0, None
    yield ev.TurnStarted(run_id=st.run_id, turn=st.turn)
    forced = cfg.forced_choice(st.called_tool)
    reply = yield from _model(cfg, st, forced)
    if isinstance(reply, ToolCallParseError):
        done = yield from _mistake(cfg, st, "parse_error", cfg.parse_correction(reply), st.completion.text)
    elif not reply.tool_calls:
        done = yield from _answer(cfg, st, reply, forced)
    else:
        done = yield from _calls(cfg, st, reply)
    _close_turn(st)
    return done


def _close_turn(st: _State) -> None:
    """Record the turn under way (once): tokens, model and tool time, total time."""
    if st.completion is None or (st.turns and st.turns[-1].turn == st.turn):
        return
    c = st.completion
    st.turns.append(TurnRecord(
        turn=st.turn, prompt_tokens=c.prompt_tokens, prompt_tokens_evaluated=c.prompt_tokens_evaluated,
        completion_tokens=c.completion_tokens, model_seconds=st.model_seconds, tool_seconds=st.tool_seconds,
        total_seconds=time.perf_counter() - st.turn_start,
    ))


def _model(cfg: LoopConfig, st: _State, forced: Any) -> Generator[Any, Any, Any]:
    """One model call. Returns the AssistantTurn, or the ToolCallParseError for malformed calls."""
    tools = cfg.tools_for(forced)
    if cfg.chat_mode:
        t0 = time.perf_counter()
        reply = yield Chat(st.turn, list(st.messages), tools, forced or cfg.tool_choice, cfg.max_tokens)
        st.model_seconds = time.perf_counter() - t0
        completion, turn = reply.completion, reply.turn
    else:
        prompt = cfg.render(st.messages, tools)
        grammar = cfg.grammar_for(forced)
        yield ev.PromptRendered(run_id=st.run_id, turn=st.turn, prompt=prompt, grammar=grammar is not None)
        t0 = time.perf_counter()
        completion = yield Complete(st.turn, prompt, cfg.stop, cfg.max_tokens, grammar)
        st.model_seconds = time.perf_counter() - t0
        turn = cfg.parse(completion, has_tools=bool(tools))
    st.completion = completion
    yield ev.ModelCompleted(
        run_id=st.run_id, turn=st.turn, text=completion.text, finish_reason=completion.finish_reason,
        prompt_tokens=completion.prompt_tokens, prompt_tokens_evaluated=completion.prompt_tokens_evaluated,
        completion_tokens=completion.completion_tokens, seconds=st.model_seconds,
    )
    return turn


def _add(st: _State, message: Message) -> Generator[Any, Any, None]:
    st.messages.append(message)
    yield ev.MessageAdded(run_id=st.run_id, turn=st.turn, message=message)


def _mistake(cfg: LoopConfig, st: _State, kind: str, correction: str, raw: str | None) -> Generator[Any, Any, Any]:
    """The model erred: show it what was wrong, or stop when the retry budget is spent."""
    st.mistakes += 1
    left = cfg.max_retries - st.mistakes
    if raw is not None:
        yield from _add(st, Message(role="assistant", content=raw))
    yield ev.Correction(run_id=st.run_id, turn=st.turn, kind=kind, message=correction, retries_left=max(left, 0))
    if left < 0:
        why = (f"Stopped after {st.mistakes} consecutive mistakes (max_retries={cfg.max_retries}); "
               f"last one ({kind}): {correction}")
        return (yield from _finish(cfg, st, "retries_exhausted", None, why))
    yield from _add(st, Message(role="user", content=correction, name="corral"))
    return _CONTINUE


def _answer(cfg: LoopConfig, st: _State, reply: AssistantTurn, forced: Any) -> Generator[Any, Any, Any]:
    text = reply.content or ""
    if forced is not None:
        return (yield from _mistake(cfg, st, "tool_required", cfg.required_correction(forced), text))
    if cfg.output_type is not None:
        value, problem = cfg.validate_output_text(text)
        if problem is not None:
            return (yield from _mistake(cfg, st, "invalid_output", problem, text))
        return (yield from _final(cfg, st, text, value))
    return (yield from _final(cfg, st, text, None))


def _final(cfg: LoopConfig, st: _State, text: str, value: Any) -> Generator[Any, Any, RunResult]:
    """Check the answer at the output stage, then finish."""
    st.mistakes = 0
    if cfg.stage_active("output"):
        checked = yield from _guard(cfg, st, "output", text)
        if checked.blocked:
            return (yield from _blocked_finish(cfg, st, "output", checked))
        if checked.action == "redact":
            text = checked.payload
            if value is not None:
                value, problem = cfg.validate_output_text(text)
                if problem is not None:  # the redaction broke the structure: withhold rather than leak
                    return (yield from _blocked_finish(cfg, st, "output", checked))
    yield from _add(st, Message(role="assistant", content=text))
    return (yield from _finish(cfg, st, "final", value if value is not None else text, ""))


def _calls(cfg: LoopConfig, st: _State, reply: AssistantTurn) -> Generator[Any, Any, Any]:
    calls = [c if c.id else c.model_copy(update={"id": f"call_{st.turn}_{i}"}) for i, c in enumerate(reply.tool_calls)]
    for call in calls:
        yield ev.ToolCallParsed(run_id=st.run_id, turn=st.turn, call=call)
    final = cfg.output_call(calls)
    if final is not None:
        return (yield from _structured_call(cfg, st, final))
    key = tuple((c.name, _canonical(c.arguments)) for c in calls)
    st.repeats = st.repeats + 1 if key == st.last_key else 1
    st.last_key = key
    if st.repeats >= cfg.max_repeats:
        shown = ", ".join(f"{name}({args})" for name, args in key)
        why = f"The model made the same call {st.repeats} times in a row with identical arguments: {shown}."
        return (yield from _finish(cfg, st, "repeated_call", None, why))
    st.called_tool = True
    yield from _add(st, Message(role="assistant", content=reply.content, tool_calls=calls))
    paused = yield from _tool_phase(cfg, st, calls, {})
    return _CONTINUE if paused is None else paused


def _canonical(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, default=str, ensure_ascii=False)


def _structured_call(cfg: LoopConfig, st: _State, call: ToolCall) -> Generator[Any, Any, Any]:
    value, problem = cfg.validate_output_args(call.arguments)
    text = _canonical(call.arguments)
    if problem is not None:
        return (yield from _mistake(cfg, st, "invalid_output", problem, text))
    return (yield from _final(cfg, st, text, value))


def _trailing_calls(messages: list[Message]) -> list[ToolCall]:
    """Calls of the last assistant message that have no result yet (a paused or interrupted run)."""
    answered: set[str] = set()
    for msg in reversed(messages):
        if msg.role in ("tool", "ipython"):
            answered.add(msg.tool_call_id or "")
        elif msg.role == "assistant":
            return [c for c in msg.tool_calls if c.id not in answered]
        else:
            return []
    return []


def _tool_phase(cfg: LoopConfig, st: _State, calls: list[ToolCall], approvals: Mapping[str, Decision]) -> Generator[Any, Any, Any]:
    """Approve, guard, dispatch and check one turn's calls; returns None to go on, or a RunResult."""
    decisions = dict(approvals)
    for call in calls:
        if call.id in decisions or not cfg.needs_approval(call.name):
            continue
        if not cfg.has_approval_handler:
            return (yield from _pause(cfg, st, calls))
        decisions[call.id] = yield AskApproval(_pending(cfg, call))
    outcomes: dict[str, ToolCallRecord] = {}
    runnable: list[ToolCall] = []
    for call in calls:
        decided = decisions.get(call.id)
        if isinstance(decided, Reject):
            outcomes[call.id] = _record(st, call, f"Rejected by the user: {decided.reason}", status="rejected")
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
        results = yield CallTools(runnable)
        st.tool_seconds += time.perf_counter() - t0
        for call, res in zip(runnable, results):
            outcomes[call.id] = yield from _result_guard(cfg, st, call, res)
    return (yield from _append_results(cfg, st, calls, outcomes))


def _append_results(cfg: LoopConfig, st: _State, calls: list[ToolCall], outcomes: dict[str, ToolCallRecord]) -> Generator[Any, Any, Any]:
    mistaken = []
    for call in calls:
        rec = outcomes[call.id]
        st.records.append(rec)
        yield ev.ToolResultReady(run_id=st.run_id, turn=st.turn, record=rec)
        yield from _add(st, Message(role="tool", content=rec.result, tool_call_id=call.id, name=call.name))
        if rec.error_kind in _MODEL_MISTAKES:
            mistaken.append(rec)
    if not mistaken:
        st.mistakes = 0
        return None
    st.mistakes += 1
    left = cfg.max_retries - st.mistakes
    yield ev.Correction(run_id=st.run_id, turn=st.turn, kind=mistaken[0].error_kind or "tool_error",
                        message=mistaken[0].result, retries_left=max(left, 0))
    if left < 0:
        why = (f"Stopped after {st.mistakes} consecutive mistakes (max_retries={cfg.max_retries}); "
               f"last one: {mistaken[0].result}")
        return (yield from _finish(cfg, st, "retries_exhausted", None, why))
    return None


def _pending(cfg: LoopConfig, call: ToolCall) -> PendingCall:
    return PendingCall(id=call.id or "", name=call.name, arguments=dict(call.arguments),
                       requires_approval=cfg.needs_approval(call.name))


def _pause(cfg: LoopConfig, st: _State, calls: list[ToolCall]) -> Generator[Any, Any, RunResult]:
    pending = tuple(_pending(cfg, c) for c in calls)
    yield ev.ApprovalRequested(run_id=st.run_id, turn=st.turn, pending=pending)
    names = ", ".join(p.name for p in pending if p.requires_approval)
    why = (f"Paused: {names} need(s) approval. Resume with agent.run(history=result, "
           "approvals={call_id: Approve() | Edit(arguments=...) | Reject(reason)}).")
    return (yield from _finish(cfg, st, "approval_required", None, why, pending=list(pending)))


def _record(st: _State, call: ToolCall, text: str, **kw: Any) -> ToolCallRecord:
    return ToolCallRecord(id=call.id or "", name=call.name, arguments=dict(call.arguments), result=text,
                          turn=st.turn, **kw)


def _call_guard(cfg: LoopConfig, st: _State, call: ToolCall) -> Generator[Any, Any, ToolCallRecord | None]:
    if not cfg.stage_active("tool_call"):
        return None
    payload = cfg.tool_call_payload(call, dict(st.calls_so_far))
    checked = yield from _guard(cfg, st, "tool_call", payload)
    if not checked.blocked:
        return None
    verdict = checked.blocked_by
    return _record(st, call, cfg.call_blocked_text(call, verdict), status="blocked",
                   blocked_by=getattr(verdict, "guard", None))


def _result_guard(cfg: LoopConfig, st: _State, call: ToolCall, res: Any) -> Generator[Any, Any, ToolCallRecord]:
    if res.error is not None:  # our own error text: nothing third-party to check
        return _record(st, call, res.content or res.error.message, status="error", error_kind=res.error.kind,
                       duration=res.duration)
    text = res.content
    if cfg.stage_active("tool_result"):
        checked = yield from _guard(cfg, st, "tool_result", text)
        if checked.blocked:
            verdict = checked.blocked_by
            return _record(st, call, cfg.result_blocked_text(call, verdict), status="blocked",
                           blocked_by=getattr(verdict, "guard", None), duration=res.duration)
        if checked.action == "redact":
            text = checked.payload
    return _record(st, call, text, output=res.output, duration=res.duration)


def _guard(cfg: LoopConfig, st: _State, stage: str, payload: Any) -> Generator[Any, Any, Any]:
    checked = yield CheckGuard(stage, payload)
    st.verdicts.extend(checked.verdicts)
    blocker = checked.blocked_by
    yield ev.GuardChecked(run_id=st.run_id, turn=st.turn, stage=stage, action=checked.action,
                          verdicts=tuple(checked.verdicts), blocked_by=getattr(blocker, "guard", None))
    return checked


def _blocked_finish(cfg: LoopConfig, st: _State, stage: str, checked: Any) -> Generator[Any, Any, RunResult]:
    verdict = checked.blocked_by
    refusal = cfg.refusal(stage, verdict)
    yield from _add(st, Message(role="assistant", content=refusal))
    guard = getattr(verdict, "guard", "guard")
    why = f"{guard} blocked the {stage}: {getattr(verdict, 'reason', '') or 'no reason given'}"
    return (yield from _finish(cfg, st, "blocked", refusal, why, blocked_by=guard))


def _finish(
    cfg: LoopConfig, st: _State, reason: StopReason, output: Any, message: str, *,
    pending: list[PendingCall] | None = None, blocked_by: str | None = None,
) -> Generator[Any, Any, RunResult]:
    _close_turn(st)
    result = RunResult(
        run_id=st.run_id, output=output, messages=list(st.messages), stop_reason=reason, stop_message=message,
        tool_calls=list(st.records), verdicts=list(st.verdicts), turns=list(st.turns), pending=pending or [],
        guards=list(cfg.guard_names), new_message_start=st.start, blocked_by=blocked_by,
    )
    yield ev.RunFinished(run_id=st.run_id, result=result)
    return result
