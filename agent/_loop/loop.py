"""The agent loop, written once: a step machine that yields requests and receives their results.

``run_steps`` is a generator. It yields either an :class:`~corral.events.Event` (the driver passes
it on and sends back ``None``) or a request (``Complete``, ``Chat``, ``CheckGuard``, ``CallTools``,
``AskApproval``) that the sync or async driver in ``corral._loop.drivers`` carries out and sends the
result back for. All decisions live here; the drivers only do I/O. (The shape is httpx's
``auth_flow``.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from typing import Any

from corral.exceptions import RunError, ToolCallParseError
from corral.prompts.messages import AssistantTurn, Message, ToolCall

from .. import events as ev
from ..references import References
from ..result import RunResult
from .policy import RunPolicy
from .steps import (  # noqa: F401  (the request types are part of this module's API)
    TIMED_OUT,
    AskApproval,
    CallTools,
    Chat,
    CheckGuard,
    Complete,
    Phase,
    RunState,
    Start,
    Steps,
    add_message,
    blocked_finish,
    check_guard,
    close_turn,
    finish,
    spend_retry,
)
from .toolphase import append_results, make_record, repeat_text, run_sources, tool_phase

__all__ = ["Complete", "Chat", "CheckGuard", "CallTools", "AskApproval", "Start", "TIMED_OUT", "run_steps"]


def run_steps(cfg: RunPolicy, start: Start, *, events: bool = True) -> Steps:
    """The whole run. Yields events and requests; returns the RunResult.

    ``events=False`` when nothing but the RunResult is wanted (``run`` with no hook, transcript or
    tracer): the loop then builds no event but the final RunFinished, which saves a fifth of a
    bare turn's cost.
    """
    st = RunState(
        run_id=start.run_id,
        messages=list(start.history),
        start=len(start.history),
        observed=events,
        user_text=_last_user_text(start.history),
        context=start.context,
        references=References.after(m.content for m in start.history if m.role in ("tool", "ipython")),
    )
    try:
        return (yield from _run(cfg, start, st))
    except RunError as exc:
        # The driver throws a backend's failure in here (see drivers.fail): a run that dies mid-way
        # (the context full after a tool ran) still tells the caller what happened, to resume from.
        exc.messages, exc.tool_calls = list(st.messages), list(st.records)
        raise


def _run(cfg: RunPolicy, start: Start, st: RunState) -> Steps:
    if not cfg.chat_mode:
        st.prompts = cfg.prompt_builder()
    if st.observed:
        yield ev.RunStarted(
            run_id=st.run_id,
            messages=tuple(st.messages),
            input=start.input,
            tools=cfg.tool_names,
            guards=cfg.guard_names,
            format=cfg.format_name,
        )
    if start.input is not None:
        blocked = yield from _input_stage(cfg, st, start.input)
        if blocked is not None:
            return blocked
    pending = _trailing_calls(st.messages)
    if pending:
        st.turn_start = time.perf_counter()
        paused = yield from tool_phase(cfg, st, pending, start.approvals)
        if paused is not None:
            return paused
    while True:
        if st.turn >= cfg.max_turns:
            why = f"No final answer within max_turns={cfg.max_turns} model turns."
            return (yield from finish(cfg, st, "max_turns", None, why))
        if start.deadline is not None and time.monotonic() > start.deadline:
            return (yield from finish(cfg, st, "timeout", None, "The run's time budget ran out."))
        done = yield from _turn(cfg, st)
        if done is not None:
            return done


def _input_stage(cfg: RunPolicy, st: RunState, text: str) -> Generator[Any, Any, RunResult | None]:
    checked = None
    if cfg.stage_active("input"):
        checked = yield from check_guard(cfg, st, "input", text)
        if checked.action == "redact":
            text = checked.payload
    yield from add_message(st, Message(role="user", content=text))
    st.user_text = text
    if checked is not None and checked.blocked:
        return (yield from blocked_finish(cfg, st, "input", checked))
    return None


def _turn(cfg: RunPolicy, st: RunState) -> Phase:
    st.turn += 1
    st.turn_start, st.tool_seconds, st.completion = time.perf_counter(), 0.0, None
    if st.observed:
        yield ev.TurnStarted(run_id=st.run_id, turn=st.turn)
    forced = cfg.forced_choice(st.called_tool)
    reply = yield from _model(cfg, st, forced)
    if reply is TIMED_OUT:
        done = yield from finish(cfg, st, "timeout", None, "The run's time budget ran out during a model call.")
    elif isinstance(reply, ToolCallParseError):
        done = yield from _mistake(cfg, st, "parse_error", cfg.parse_correction(reply), st.completion.text)
    elif not reply.tool_calls:
        done = yield from _answer(cfg, st, reply, forced)
    else:
        done = yield from _calls(cfg, st, reply)
    close_turn(st)
    return done


def _model(cfg: RunPolicy, st: RunState, forced: Any) -> Generator[Any, Any, Any]:
    """One model call. Returns the AssistantTurn, the ToolCallParseError for malformed calls, or
    TIMED_OUT when the call overran the run's deadline."""
    tools = cfg.tools_for(forced)
    if cfg.chat_mode:
        t0 = time.perf_counter()
        reply = yield Chat(st.turn, list(st.messages), tools, forced or cfg.tool_choice, cfg.max_tokens)
        st.model_seconds = time.perf_counter() - t0
        if reply is TIMED_OUT:
            return TIMED_OUT
        completion, turn = reply.completion, reply.turn
    else:
        prompt = st.prompts.render(st.messages, tools or None)
        grammar = cfg.grammar_for(forced)
        if hasattr(grammar, "asking"):  # the auto decision weighs the user's text against each tool
            question = _question(st.messages)  # the context grounds a call only when the turn answers one
            grammar = grammar.asking(question, _context(st.messages) if question else None)
        if st.observed:
            yield ev.PromptRendered(run_id=st.run_id, turn=st.turn, prompt=prompt, grammar=grammar is not None)
        t0 = time.perf_counter()
        completion = yield Complete(st.turn, prompt, cfg.stop, cfg.max_tokens, grammar)
        st.model_seconds = time.perf_counter() - t0
        if completion is TIMED_OUT:
            return TIMED_OUT
        turn = cfg.parse(completion, has_tools=bool(tools) and cfg.calls_allowed)
    st.completion = completion
    if st.observed:
        yield ev.ModelCompleted(
            run_id=st.run_id,
            turn=st.turn,
            text=completion.text,
            finish_reason=completion.finish_reason,
            prompt_tokens=completion.prompt_tokens,
            prompt_tokens_evaluated=completion.prompt_tokens_evaluated,
            completion_tokens=completion.completion_tokens,
            seconds=st.model_seconds,
        )
    return turn


def _question(messages: list[Message]) -> str | None:
    """The user's text when the turn answers it directly (not after a tool result), else None."""
    last = messages[-1] if messages else None
    return last.content if last is not None and last.role == "user" and isinstance(last.content, str) else None


def _context(messages: list[Message]) -> str:
    """The conversation's own text (system, user and tool messages): what grounds an argument's value."""
    return "\n".join(
        m.content for m in messages if m.role in ("system", "user", "tool", "ipython") and isinstance(m.content, str)
    )


def _mistake(cfg: RunPolicy, st: RunState, kind: str, correction: str, raw: str | None) -> Phase:
    """The model erred: show it what was wrong, or stop when the retry budget is spent."""
    if raw is not None:
        yield from add_message(st, Message(role="assistant", content=raw))
    done = yield from spend_retry(cfg, st, kind, correction)
    if done is None:
        yield from add_message(st, Message(role="user", content=correction, name="corral"))
    return done


def _answer(cfg: RunPolicy, st: RunState, reply: AssistantTurn, forced: Any) -> Phase:
    text = reply.content or ""
    if forced is not None:
        return (yield from _mistake(cfg, st, "tool_required", cfg.required_correction(forced), text))
    if cfg.output_type is not None:
        value, problem = cfg.validate_output_text(text)
        if problem is not None:
            return (yield from _mistake(cfg, st, "invalid_output", problem, text))
        return (yield from _final(cfg, st, text, value))
    return (yield from _final(cfg, st, text, None))


def _final(cfg: RunPolicy, st: RunState, text: str, value: Any) -> Generator[Any, Any, RunResult]:
    """Check the answer at the output stage, then finish."""
    st.mistakes = 0
    if cfg.stage_active("output"):
        # With the user's turn when a guard judges answers in their conversation (Llama Guard), and the
        # texts of the run when one reads them (ImageGuard); the chain hands text guards the answer
        # alone, and gives back the answer text.
        payload = _conversation(st, text) if cfg.conversation_at_output else text
        checked = yield from check_guard(cfg, st, "output", payload)
        if checked.blocked:
            return (yield from blocked_finish(cfg, st, "output", checked))
        if checked.action == "redact":
            text = checked.payload
            if value is not None:
                value, problem = cfg.validate_output_text(text)
                if problem is not None:  # the redaction broke the structure: withhold rather than leak
                    return (yield from blocked_finish(cfg, st, "output", checked))
    yield from add_message(st, Message(role="assistant", content=text))
    output = value if value is not None else text
    finish_reason = getattr(st.completion, "finish_reason", "stop")
    if finish_reason == "length":  # an honest outcome: the answer is partial
        why = (
            f"The answer was cut off at max_tokens={cfg.max_tokens} tokens; the output is the partial text. "
            "Raise max_tokens (--max-tokens) for the whole answer."
        )
        return (yield from finish(cfg, st, "max_tokens", output, why))
    if finish_reason == "repetition":  # a loop the backend stopped: more tokens would only repeat it
        why = (
            "The answer began to repeat itself and was stopped there; the output is the text so far. "
            "A larger max_tokens would not help: rephrase the request, or use a larger model."
        )
        return (yield from finish(cfg, st, "repetition", output, why))
    return (yield from finish(cfg, st, "final", output, ""))


def _calls(cfg: RunPolicy, st: RunState, reply: AssistantTurn) -> Phase:
    calls = [
        c if c.id else ToolCall(name=c.name, arguments=c.arguments, id=f"call_{st.turn}_{i}")
        for i, c in enumerate(reply.tool_calls)
    ]
    if st.observed:
        for call in calls:
            yield ev.ToolCallParsed(run_id=st.run_id, turn=st.turn, call=call)
    final = cfg.output_call(calls)
    if final is not None:
        return (yield from _structured_call(cfg, st, final))
    key = [(c.name, c.arguments) for c in calls]  # dict equality is deep and order-blind: no JSON needed
    st.repeats = st.repeats + 1 if key == st.last_key else 1
    st.last_key = key
    if st.repeats >= cfg.max_repeats:
        shown = ", ".join(f"{name}({_canonical(args)})" for name, args in key)
        why = f"The model made the same call {st.repeats} times in a row with identical arguments: {shown}."
        return (yield from finish(cfg, st, "repeated_call", None, why))
    st.called_tool = True
    yield from add_message(st, Message(role="assistant", content=reply.content, tool_calls=calls))
    if st.repeats > 1:  # not run again: remind the model of the result it already has
        outcomes = {
            c.id: make_record(st, c, repeat_text(st, c), status="error", error_kind="repeated_call") for c in calls
        }
        done = yield from append_results(cfg, st, calls, outcomes)
    else:
        done = yield from tool_phase(cfg, st, calls, {})
    return done


def _canonical(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, default=str, ensure_ascii=False)


def _structured_call(cfg: RunPolicy, st: RunState, call: ToolCall) -> Phase:
    value, problem = cfg.validate_output_args(call.arguments)
    text = _canonical(call.arguments)
    if problem is not None:
        return (yield from _mistake(cfg, st, "invalid_output", problem, text))
    return (yield from _final(cfg, st, text, value))


def _conversation(st: RunState, answer: str) -> Any:
    """The answer with the user's turn and every text the model was given (system, user, tool results)."""
    from corral.guards.base import Conversation  # only with such a guard: corral.guards loads lazily

    ours, theirs, _asked = run_sources(st)
    return Conversation(user=st.user_text or "", agent=answer, context=ours + theirs)


def _last_user_text(messages: list[Message]) -> str | None:
    """The latest user turn of a history (a continued run answers it), not corral's own corrections."""
    for msg in reversed(messages):
        if msg.role == "user" and msg.name != "corral" and msg.content:
            return msg.content
    return None


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
