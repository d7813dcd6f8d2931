"""The step machine's vocabulary: the requests it yields, the state of one run, and the helpers
every phase shares (adding messages, running a guard stage, finishing). See ``corral._loop.loop``."""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from corral.prompts.messages import Message, ToolCall

from .. import events as ev
from ..references import References
from ..result import Decision, PendingCall, RunResult, StopReason, ToolCallRecord, TurnRecord
from .policy import RunPolicy

__all__ = ["Complete", "Chat", "CheckGuard", "CallTools", "AskApproval", "Start"]

# The requests are named tuples: immutable like frozen dataclasses, built in a third of the time,
# and a run makes a dozen of them.


class Complete(NamedTuple):
    """Ask the backend to complete ``prompt`` (the driver may stream it as ``ModelDelta`` events)."""

    turn: int
    prompt: str
    stop: tuple[str, ...]
    max_tokens: int
    grammar: str | None


class Chat(NamedTuple):
    """Ask a chat-mode backend for the next assistant turn (the server renders the template)."""

    turn: int
    messages: list[Message]
    tools: list[dict[str, Any]]
    tool_choice: Any
    max_tokens: int


class CheckGuard(NamedTuple):
    """Run the guard chain on one stage's payload; the driver sends back a ChainResult."""

    stage: str
    payload: Any


class CallTools(NamedTuple):
    """Dispatch these calls (concurrently); the driver sends back the ToolResults in call order."""

    calls: list[ToolCall]
    context: Any = None  # the RunContext for tools that take one (corral.tools.context)


class AskApproval(NamedTuple):
    """Ask the agent's approval handler about one call; the driver sends back a Decision."""

    call: PendingCall


class Start(NamedTuple):
    """How a run begins: prior ``history``, the new ``input`` (None: continue), decisions on pending calls."""

    run_id: str
    history: list[Message]
    input: str | None
    approvals: Mapping[str, Decision] = MappingProxyType({})
    deadline: float | None = None
    context: Any = None  # the run's RunContext (deps, run id, idempotency key), usage filled per call


@dataclass
class RunState:
    run_id: str
    messages: list[Message]
    start: int
    records: list[ToolCallRecord] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    turn: int = 0
    mistakes: int = 0
    last_key: list | None = None
    repeats: int = 0
    called_tool: bool = False
    calls_so_far: dict[str, int] = field(default_factory=dict)
    # the turn under way: its start, its completion, and the seconds spent in the model and tools
    turn_start: float = 0.0
    completion: Any = None
    model_seconds: float = 0.0
    tool_seconds: float = 0.0
    prompts: Any = None  # the run's PromptBuilder (renders only what each turn adds)
    observed: bool = True  # build and yield events (see run_steps)
    user_text: str | None = None  # the user turn this run answers: context for guards such as Llama Guard
    context: Any = None  # the run's RunContext; see Start
    trusted_results: set[str] = field(default_factory=set)  # ids of calls whose tool returned trusted() text
    raw_results: dict[str, str] = field(default_factory=dict)  # before redaction, by call id (provenance only)
    references: References = field(default_factory=References)  # handles on redacted regions of tool results


Steps = Generator[Any, Any, RunResult]
# A driver's answer to Complete or Chat when the model call overran the run's deadline.
TIMED_OUT = object()
# A phase returns the finished RunResult to stop the run, or None to carry on (the one "go on" signal).
Phase = Generator[Any, Any, "RunResult | None"]
MODEL_MISTAKES = frozenset({"unknown_tool", "invalid_arguments", "retry"})


def add_message(st: RunState, message: Message) -> Generator[Any, Any, None]:
    st.messages.append(message)
    if st.observed:
        yield ev.MessageAdded(run_id=st.run_id, turn=st.turn, message=message)


def check_guard(cfg: RunPolicy, st: RunState, stage: str, payload: Any) -> Generator[Any, Any, Any]:
    if cfg.inline_chain is not None:
        checked = cfg.inline_chain.check(stage, payload)
    else:
        checked = yield CheckGuard(stage, payload)
    st.verdicts.extend(checked.verdicts)
    blocker = checked.blocked_by
    if st.observed:
        yield ev.GuardChecked(
            run_id=st.run_id,
            turn=st.turn,
            stage=stage,
            action=checked.action,
            verdicts=tuple(checked.verdicts),
            blocked_by=getattr(blocker, "guard", None),
        )
    return checked


def spend_retry(cfg: RunPolicy, st: RunState, kind: str, message: str) -> Phase:
    """Count one model mistake against ``max_retries`` (the one retry budget): None while budget is
    left (the model is told ``message``), else the run finishes as ``retries_exhausted``."""
    st.mistakes += 1
    left = cfg.max_retries - st.mistakes
    if st.observed:
        yield ev.Correction(run_id=st.run_id, turn=st.turn, kind=kind, message=message, retries_left=max(left, 0))
    if left >= 0:
        return None
    why = (
        f"Stopped after {st.mistakes} consecutive mistakes (max_retries={cfg.max_retries}); "
        f"last one ({kind}): {message}"
    )
    return (yield from finish(cfg, st, "retries_exhausted", None, why))


def blocked_finish(cfg: RunPolicy, st: RunState, stage: str, checked: Any) -> Generator[Any, Any, RunResult]:
    verdict = checked.blocked_by
    refusal = cfg.refusal(stage, verdict)
    yield from add_message(st, Message(role="assistant", content=refusal))
    guard = getattr(verdict, "guard", "guard")
    why = f"{guard} blocked the {stage}: {getattr(verdict, 'reason', '') or 'no reason given'}"
    return (yield from finish(cfg, st, "blocked", refusal, why, blocked_by=guard))


def finish(
    cfg: RunPolicy,
    st: RunState,
    reason: StopReason,
    output: Any,
    message: str,
    *,
    pending: list[PendingCall] | None = None,
    blocked_by: str | None = None,
) -> Generator[Any, Any, RunResult]:
    close_turn(st)
    result = RunResult(
        run_id=st.run_id,
        output=output,
        messages=list(st.messages),
        stop_reason=reason,
        stop_message=message,
        tool_calls=list(st.records),
        verdicts=list(st.verdicts),
        turns=list(st.turns),
        pending=pending or [],
        guards=list(cfg.guard_names),
        new_message_start=st.start,
        blocked_by=blocked_by,
    )
    yield ev.RunFinished(run_id=st.run_id, result=result)
    return result


def close_turn(st: RunState) -> None:
    """Record the turn under way (once): tokens, model and tool time, total time."""
    if st.completion is None or (st.turns and st.turns[-1].turn == st.turn):
        return
    c = st.completion
    st.turns.append(
        TurnRecord(
            turn=st.turn,
            prompt_tokens=c.prompt_tokens,
            prompt_tokens_evaluated=c.prompt_tokens_evaluated,
            completion_tokens=c.completion_tokens,
            model_seconds=st.model_seconds,
            tool_seconds=st.tool_seconds,
            total_seconds=time.perf_counter() - st.turn_start,
        )
    )
