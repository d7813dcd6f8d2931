"""The guard seam: one Protocol, one Verdict, four fixed stages.

Example::

    >>> from corral.guards import Verdict
    >>> Verdict.allow("noop").action
    'allow'
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Stage",
    "STAGES",
    "Action",
    "Verdict",
    "ToolCallPayload",
    "Conversation",
    "Guard",
    "text_of",
    "check_stage",
]

Stage = Literal["input", "tool_call", "tool_result", "output"]
STAGES: tuple[Stage, ...] = ("input", "tool_call", "tool_result", "output")
Action = Literal["allow", "block", "redact"]


class Verdict(BaseModel):
    """A guard's decision on one payload.

    ``redacted`` holds the replacement text when ``action == "redact"``. ``latency_ms`` is filled in
    by the chain that ran the guard.
    """

    model_config = ConfigDict(frozen=True)

    action: Action
    guard: str
    stage: Stage | None = None
    categories: tuple[str, ...] = ()
    reason: str = ""
    score: float = 0.0
    redacted: str | None = None
    latency_ms: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def allow(cls, guard: str, **kw: Any) -> Verdict:
        if cls is Verdict and type(guard) is str:
            # Allows are most of what guards say, once per message: the plain one is one frozen
            # instance per guard name, and an allow with just a float score is built unvalidated
            # (every other field keeps its validated default).
            if not kw:
                cached = _PLAIN_ALLOW.get(guard)
                if cached is None:
                    cached = _PLAIN_ALLOW[guard] = cls(action="allow", guard=guard)
                return cached
            if len(kw) == 1 and type(kw.get("score")) is float:
                fields = {
                    "action": "allow",
                    "guard": guard,
                    "stage": None,
                    "categories": (),
                    "reason": "",
                    "score": kw["score"],
                    "redacted": None,
                    "latency_ms": 0.0,
                    "details": {},
                }
                return _unvalidated(fields, set(_SCORED))
        return cls(action="allow", guard=guard, **kw)

    @classmethod
    def block(cls, guard: str, reason: str, **kw: Any) -> Verdict:
        return cls(action="block", guard=guard, reason=reason, **kw)

    @classmethod
    def redact(cls, guard: str, redacted: str, reason: str, **kw: Any) -> Verdict:
        return cls(action="redact", guard=guard, redacted=redacted, reason=reason, **kw)

    @property
    def blocked(self) -> bool:
        return self.action == "block"

    @property
    def approval_required(self) -> bool:
        """True when a ToolPolicy blocked a call only because a human must approve it first."""
        return bool(self.details.get("approval_required"))


_PLAIN_ALLOW: dict[str, Verdict] = {}
_SCORED = frozenset({"action", "guard", "score"})
_STAMPED = frozenset({"guard", "stage", "latency_ms"})


def _unvalidated(fields: dict[str, Any], fields_set: set[str]) -> Verdict:
    # What pydantic's model_construct and model_copy do, without their generic machinery: the
    # callers only pass values that already are valid field values.
    new = object.__new__(Verdict)
    object.__setattr__(new, "__dict__", fields)
    object.__setattr__(new, "__pydantic_fields_set__", fields_set)
    object.__setattr__(new, "__pydantic_extra__", None)
    object.__setattr__(new, "__pydantic_private__", None)
    return new


def stamped(verdict: Verdict, guard: str, stage: str, latency_ms: float) -> Verdict:
    """A copy of ``verdict`` with the chain's bookkeeping (guard name, stage, latency) filled in.

    The chain stamps every verdict of every guard, so this skips re-validation: all other fields
    come from an already validated Verdict, and these three are the chain's own values (half the
    cost of ``model_copy``).
    """
    fields = dict(verdict.__dict__)
    fields["guard"], fields["stage"], fields["latency_ms"] = guard, stage, latency_ms
    fields["details"] = dict(verdict.details)  # each stamped verdict owns its details
    return _unvalidated(fields, verdict.__pydantic_fields_set__ | _STAMPED)


class ToolCallPayload(BaseModel):
    """The payload of the ``tool_call`` stage: the tool's name and the model's arguments."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    # How many times each tool was already called in this run: lets a stateless policy keep budgets
    # per run even when one agent serves many runs concurrently.
    calls_so_far: dict[str, int] = Field(default_factory=dict)
    # The user request this call serves, when known: Llama Guard judges a call in that context.
    user_text: str | None = None
    # Provenance (filled when a tool_call guard has ``wants_provenance``): what the user and the
    # system wrote, and what tool results (third-party content) said, so far in the run.
    trusted_text: tuple[str, ...] = ()
    third_party_text: tuple[str, ...] = ()
    # Every user turn of the run (filled with the above): what the user asked for (IntentRule).
    request_text: tuple[str, ...] = ()
    # What the tool declares about its effects (``Tool.acts``): True acts, False only reads, None unsaid.
    acts: bool | None = None


class Conversation(BaseModel):
    """The ``output`` stage payload when a guard needs the user's turn too (Llama Guard's Agent role),
    or every text the model was given (``context``: system prompt, user turns, tool results; for
    ImageGuard, which keeps only image addresses the model did not compose).

    Every guard also accepts the plain answer text at ``output``; text-only guards read ``agent``.

    Example::

        >>> Conversation(user="What is 2+2?", agent="4").agent
        '4'
    """

    model_config = ConfigDict(frozen=True)

    user: str = ""
    agent: str
    context: tuple[str, ...] = ()


def text_of(payload: Any) -> str:
    """The text a text-only guard should read: the answer of a Conversation, a tool call as JSON."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, Conversation):
        return payload.agent
    if isinstance(payload, tuple) and len(payload) == 2:
        return str(payload[1])
    if isinstance(payload, ToolCallPayload):
        return payload.model_dump_json(include={"name", "arguments"})
    raise TypeError(
        f"guard payload must be str, Conversation, (user, agent) or ToolCallPayload, not {type(payload).__name__}"
    )


def check_stage(stage: str) -> None:
    """Raise ValueError naming the valid stages when ``stage`` is not one of them."""
    if stage not in STAGES:
        raise ValueError(f"unknown guard stage {stage!r}; use one of {', '.join(STAGES)}")


@runtime_checkable
class Guard(Protocol):
    """Checks one payload at one stage.

    Payloads: the text itself for ``input``, ``tool_result`` and ``output``; a ``ToolCallPayload``
    for ``tool_call`` (its ``user_text`` is the user turn the call serves). A guard with
    ``wants_conversation = True`` gets ``Conversation(user, agent)`` at ``output`` instead of the
    answer alone, and one with ``wants_context = True`` gets it with ``context``, the texts the
    model was given (system prompt, user turns, tool results). A guard with ``inline = True`` says it is offline
    and synchronous (no I/O, microseconds): a chain of such guards runs inside the agent loop
    rather than through its driver. A guard that does not apply to a stage returns ``Verdict.allow``.
    """

    name: str

    def check(self, stage: Stage, payload: Any) -> Verdict: ...

    async def acheck(self, stage: Stage, payload: Any) -> Verdict: ...
