"""Asking a person before a held call, for ``corral chat`` and ``corral run`` in a terminal.

Two kinds of call wait for a person's yes: a tool marked ``requires_approval`` (the run pauses with
``stop_reason == "approval_required"`` and resumes with the decisions), and a call a tool policy
holds (its ``requires_approval`` list, or the intent check: no user turn asked for the action),
which asks its ``approver``. ``Asker`` serves both from one question: ``approve name(args)? [y/N]``;
anything but y or yes, and no answer at all, declines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..result import Approve, Reject

__all__ = ["Asker", "DECLINED"]

DECLINED = "The user declined this call."


class Asker:
    """``ask(question) -> answer or None`` made into call decisions."""

    def __init__(self, ask: Callable[[str], str | None]) -> None:
        self.ask = ask

    def confirm(self, name: str, arguments: dict[str, Any]) -> bool:
        """Ask whether the call may run; only "y" or "yes" says it may."""
        shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        answer = self.ask(f"approve {name}({shown})? [y/N] ")
        return (answer or "").strip().lower() in ("y", "yes")

    def decisions(self, result: Any) -> dict[str, Any]:
        """A decision for each call a paused run waits on."""
        return {p.id: Approve() if self.confirm(p.name, p.arguments) else Reject(DECLINED) for p in result.pending}

    def serve_policies(self, agent: Any) -> None:
        """Let each tool policy without an approver of its own ask through this."""
        from corral.guards import ToolPolicy  # the CLI may run without guards: load them only here

        chain = agent.guards
        for guard in chain.guards("tool_call") if chain is not None else ():
            if isinstance(guard, ToolPolicy) and guard.approver is None:
                guard.approver = lambda call: self.confirm(call.name, call.arguments)
