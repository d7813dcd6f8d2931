"""The guard seam: one Protocol, one Verdict, four fixed stages.

Example::

    >>> from corral.guards import Verdict
    >>> Verdict.allow("noop").action
    'allow'
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Stage", "STAGES", "Action", "Verdict", "ToolCallPayload", "Guard"]

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
    def allow(cls, guard: str, **kw: Any) -> "Verdict":
        return cls(action="allow", guard=guard, **kw)

    @classmethod
    def block(cls, guard: str, reason: str, **kw: Any) -> "Verdict":
        return cls(action="block", guard=guard, reason=reason, **kw)

    @property
    def blocked(self) -> bool:
        return self.action == "block"


class ToolCallPayload(BaseModel):
    """The payload of the ``tool_call`` stage: the tool's name and the model's arguments."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    # How many times each tool was already called in this run: lets a stateless policy keep budgets
    # per run even when one agent serves many runs concurrently.
    calls_so_far: dict[str, int] = Field(default_factory=dict)


@runtime_checkable
class Guard(Protocol):
    """Checks one payload at one stage.

    Payloads: the text itself for ``input``, ``tool_result`` and ``output``; a ``ToolCallPayload``
    for ``tool_call``. A guard that does not apply to a stage returns ``Verdict.allow``.
    """

    name: str

    def check(self, stage: Stage, payload: Any) -> Verdict: ...

    async def acheck(self, stage: Stage, payload: Any) -> Verdict: ...
