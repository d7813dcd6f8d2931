"""What a run returns: the output, the conversation, every tool call, verdicts, usage and timings.

Example::

    >>> from corral.testing import ScriptedBackend
    >>> from corral import Agent
    >>> result = Agent(ScriptedBackend(["Hello!"]), guards=None).run("hi")
    >>> result.output, result.stop_reason
    ('Hello!', 'final')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

from pydantic import BaseModel

from corral.prompts.messages import Message

from .exceptions import GuardBlocked, OutputValidationError, RunError

__all__ = [
    "StopReason",
    "ToolCallRecord",
    "TurnRecord",
    "Usage",
    "PendingCall",
    "Approve",
    "Edit",
    "Reject",
    "Decision",
    "RunResult",
]

StopReason = Literal[
    "final",  # the model answered
    "max_tokens",  # the answer was cut off by max_tokens: ``output`` is the partial text (not ok)
    "repetition",  # the answer began to repeat itself and was stopped there, short of max_tokens (not ok)
    "max_turns",  # the turn budget ran out before an answer
    "repeated_call",  # the same call with the same arguments N times in a row
    "retries_exhausted",  # too many consecutive mistakes (parse errors, bad arguments, bad output)
    "blocked",  # a guard blocked the input or the output: ``output`` is a refusal
    "approval_required",  # paused: ``pending`` calls wait for a human decision
    "timeout",  # the run's time budget ran out
    "incomplete",  # rebuilt from a transcript that ended mid-run
]


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCallRecord:
    """One tool call and what came of it. ``result`` is the text the model saw (error text included).

    ``status``: ``ok``, ``error`` (the tool or its arguments failed), ``blocked`` (a guard stopped the
    call or withheld its result), ``rejected`` (a human said no).
    """

    id: str
    name: str
    arguments: dict[str, Any]
    result: str
    status: Literal["ok", "error", "blocked", "rejected"] = "ok"
    error_kind: str | None = None
    output: Any = None
    turn: int = 0
    duration: float = 0.0
    blocked_by: str | None = None

    @property
    def is_error(self) -> bool:
        return self.status != "ok"

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("id", "name", "arguments", "result", "status", "turn")}
        out["duration"] = round(self.duration, 6)
        for key in ("error_kind", "blocked_by"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnRecord:
    """Usage and timings of one model turn.

    ``model_seconds``: the backend call. ``tool_seconds``: the turn's tool dispatch as a whole
    (validating the calls, running them, turning results into text); the time inside each tool
    function is its ``ToolCallRecord.duration``. ``loop_seconds``: everything else.
    """

    turn: int
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    model_seconds: float = 0.0
    tool_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def loop_seconds(self) -> float:
        return max(0.0, self.total_seconds - self.model_seconds - self.tool_seconds)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"turn": self.turn}
        for key in ("prompt_tokens", "prompt_tokens_evaluated", "completion_tokens"):
            out[key] = getattr(self, key)
        for key in ("model_seconds", "tool_seconds", "total_seconds"):
            out[key] = round(getattr(self, key), 6)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class Usage:
    """Token totals over a run. ``prompt_tokens_evaluated`` < ``prompt_tokens`` when the KV cache was reused."""

    requests: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0

    @classmethod
    def from_turns(cls, turns: tuple[TurnRecord, ...] | list[TurnRecord]) -> Usage:
        return cls(
            requests=len(turns),
            prompt_tokens=sum(t.prompt_tokens for t in turns),
            prompt_tokens_evaluated=sum(t.prompt_tokens_evaluated for t in turns),
            completion_tokens=sum(t.completion_tokens for t in turns),
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            k: getattr(self, k) for k in ("requests", "prompt_tokens", "prompt_tokens_evaluated", "completion_tokens")
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingCall:
    """A call waiting for a decision. Answer with ``Approve()``, ``Edit(arguments=...)`` or ``Reject(reason)``."""

    id: str
    name: str
    arguments: dict[str, Any]
    requires_approval: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "arguments": self.arguments,
            "requires_approval": self.requires_approval,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Approve:
    """Run the call as the model asked."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Edit:
    """Run the call with these arguments instead (validated against the tool's schema like any call)."""

    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reject:
    """Do not run the call; the model is told it was rejected, and why."""

    reason: str = "The user rejected this call."


Decision = Union[Approve, Edit, Reject]


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """Everything a run produced.

    ``output`` is the final text, or the validated pydantic object when the agent has an
    ``output_type``, or a refusal text when a guard blocked (``stop_reason == "blocked"``), or None
    when the run stopped without an answer. ``ok`` is True only for ``stop_reason == "final"``: an
    answer cut off by ``max_tokens`` keeps its partial text in ``output`` but stops with
    ``stop_reason == "max_tokens"`` (``truncated`` is True), so code that checks ``ok`` never
    takes half an answer for a whole one.
    Continue a conversation with ``agent.run("next question", history=result)``.
    """

    run_id: str
    output: Any
    messages: list[Message]
    stop_reason: StopReason
    stop_message: str = ""
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    pending: list[PendingCall] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)
    new_message_start: int = 0
    blocked_by: str | None = None

    @property
    def ok(self) -> bool:
        return self.stop_reason == "final"

    @property
    def truncated(self) -> bool:
        """True when the final answer was cut off by ``max_tokens`` (``output`` holds the partial text)."""
        return self.stop_reason == "max_tokens"

    @property
    def usage(self) -> Usage:
        return Usage.from_turns(self.turns)

    @property
    def new_messages(self) -> list[Message]:
        """The messages this run added (its input included)."""
        return self.messages[self.new_message_start :]

    @property
    def text(self) -> str | None:
        """The final text as the model wrote it (JSON for structured output), or None."""
        for msg in reversed(self.messages):
            if msg.role == "assistant":
                return msg.content
        return None

    def to_openai(self) -> list[dict[str, Any]]:
        """The conversation as OpenAI Chat Completions messages (see ``Message.to_openai``); store it
        anywhere that speaks that shape and continue with ``agent.run(..., history=those_dicts)``.

        Example::

            >>> from corral import Agent
            >>> from corral.testing import ScriptedBackend
            >>> Agent(ScriptedBackend(["Hi!"]), guards=None).run("hello").to_openai()
            [{'role': 'user', 'content': 'hello'}, {'role': 'assistant', 'content': 'Hi!'}]
        """
        return [m.to_openai() for m in self.messages]

    def raise_for_stop(self) -> RunResult:
        """Return self when the run answered; raise a RunError saying why it did not otherwise."""
        if self.ok:
            return self
        if self.stop_reason == "blocked":
            verdict = next((v for v in self.verdicts if getattr(v, "action", "") == "block"), None)
            raise GuardBlocked(f"Run stopped (blocked): {self.stop_message}", verdict=verdict)
        if self.stop_reason == "retries_exhausted" and "(invalid_output)" in self.stop_message:
            raise OutputValidationError(f"Run stopped (retries_exhausted): {self.stop_message}")
        raise RunError(f"Run stopped ({self.stop_reason}): {self.stop_message}")

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (used by the transcript's ``run_finished`` line and the CLI)."""
        output = self.output.model_dump(mode="json") if isinstance(self.output, BaseModel) else self.output
        out: dict[str, Any] = {
            "output": output,
            "stop_reason": self.stop_reason,
            "stop_message": self.stop_message,
            "usage": self.usage.to_dict(),
            "turns": [t.to_dict() for t in self.turns],
            "tool_calls": [c.to_dict() for c in self.tool_calls],
            "guards": list(self.guards),
        }
        if self.pending:
            out["pending"] = [p.to_dict() for p in self.pending]
        if self.blocked_by:
            out["blocked_by"] = self.blocked_by
        return out
