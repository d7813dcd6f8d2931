"""Typed events: every step of a run, as frozen values.

The loop emits them; streaming (``agent.stream``), hooks, the JSONL transcript and tracing all consume
the same stream and none is special-cased in the loop. ``event.to_dict()`` gives the JSON form used
by the transcript (``{"type": "tool_result", ...}``).

Example::

    >>> from corral.events import TurnStarted
    >>> TurnStarted(run_id="r1", turn=1).to_dict()
    {'type': 'turn_started', 'run_id': 'r1', 'turn': 1}
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Union

from pydantic import BaseModel

from corral.prompts.messages import Message, ToolCall

if TYPE_CHECKING:
    from .result import PendingCall, RunResult, ToolCallRecord

__all__ = [
    "Event",
    "RunStarted",
    "TurnStarted",
    "PromptRendered",
    "ModelDelta",
    "ModelCompleted",
    "ToolCallParsed",
    "Correction",
    "GuardChecked",
    "ToolResultReady",
    "ApprovalRequested",
    "MessageAdded",
    "RunFinished",
    "RunFailed",
    "AnyEvent",
    "to_jsonable",
]


def to_jsonable(value: Any) -> Any:
    """Turn events' fields (pydantic models, dataclasses, tuples) into JSON-ready values."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """Base of every event. ``type`` is the stable name used in transcripts."""

    type: ClassVar[str] = "event"
    run_id: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):
            out[f.name] = to_jsonable(getattr(self, f.name))
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class RunStarted(Event):
    """A run began from ``messages`` (the history) with ``input`` (None: continue); active tools and guards.

    The input joins the conversation as the next ``MessageAdded`` (after the input guard).
    """

    type: ClassVar[str] = "run_started"
    messages: tuple[Message, ...]
    input: str | None = None
    tools: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    format: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnStarted(Event):
    """Model turn ``turn`` (1-based within the run) begins."""

    type: ClassVar[str] = "turn_started"
    turn: int


@dataclass(frozen=True, kw_only=True, slots=True)
class PromptRendered(Event):
    """The exact prompt text sent to the backend (empty in chat mode, where the server renders)."""

    type: ClassVar[str] = "prompt_rendered"
    turn: int
    prompt: str
    grammar: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelDelta(Event):
    """A piece of model text as it streams (only from ``stream``/``astream`` on streaming backends)."""

    type: ClassVar[str] = "model_delta"
    turn: int
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelCompleted(Event):
    """The model's whole reply for the turn, with its token counts and time."""

    type: ClassVar[str] = "model_completed"
    turn: int
    text: str
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCallParsed(Event):
    """The model asked for this call."""

    type: ClassVar[str] = "tool_call_parsed"
    turn: int
    call: ToolCall


@dataclass(frozen=True, kw_only=True, slots=True)
class Correction(Event):
    """The model made a mistake (``kind``) and ``message`` went back to it; ``retries_left`` remain."""

    type: ClassVar[str] = "correction"
    turn: int
    kind: str
    message: str
    retries_left: int


@dataclass(frozen=True, kw_only=True, slots=True)
class GuardChecked(Event):
    """A guard chain ran on one stage: its action, every verdict, and which guard blocked (if any)."""

    type: ClassVar[str] = "guard_checked"
    turn: int
    stage: str
    action: str
    verdicts: tuple[Any, ...] = ()
    blocked_by: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolResultReady(Event):
    """A tool call finished (or was blocked, rejected or failed): what the model will see."""

    type: ClassVar[str] = "tool_result"
    turn: int
    record: ToolCallRecord


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalRequested(Event):
    """The run paused: these calls wait for a human decision (see ``Agent.run(approvals=...)``)."""

    type: ClassVar[str] = "approval_requested"
    turn: int
    pending: tuple[PendingCall, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageAdded(Event):
    """A message joined the conversation (the transcript rebuilds history from these)."""

    type: ClassVar[str] = "message_added"
    turn: int
    message: Message


@dataclass(frozen=True, kw_only=True, slots=True)
class RunFinished(Event):
    """The run ended (any stop reason); ``result`` is the RunResult."""

    type: ClassVar[str] = "run_finished"
    result: RunResult

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "run_id": self.run_id, **self.result.summary()}


@dataclass(frozen=True, kw_only=True, slots=True)
class RunFailed(Event):
    """The run raised (a backend error, a bug in a hook): ``error_type`` and ``error`` say what."""

    type: ClassVar[str] = "run_failed"
    error_type: str
    error: str


AnyEvent = Union[
    RunStarted,
    TurnStarted,
    PromptRendered,
    ModelDelta,
    ModelCompleted,
    ToolCallParsed,
    Correction,
    GuardChecked,
    ToolResultReady,
    ApprovalRequested,
    MessageAdded,
    RunFinished,
    RunFailed,
]
