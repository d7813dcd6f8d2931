"""The one test-double guard the unit tests share (a real guard would make a test about its classifier).

Import it as ``from guard_doubles import RecordingGuard`` (tests/ is on sys.path, see tests/conftest.py).
Test-double backends are public: ``corral.testing.ScriptedBackend`` / ``FunctionBackend``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from corral.guards import Verdict


class RecordingGuard:
    """Records every ``(stage, payload)`` it is handed, then answers; sync and async alike.

    The answer, first match wins: raise ``raises``; block when ``block`` occurs in the payload's text;
    redact ``redact`` to ``[X]``; else ``action`` (``"redact"`` upper-cases the text). A tool call's
    text is ``"<name> <arguments>"``. ``sleep`` seconds pass first (time.sleep, or asyncio.sleep in
    ``acheck``); ``cost`` orders it in a chain; ``wants_conversation`` asks for the user turn at output.

    Example::

        >>> guard = RecordingGuard(block="rm -rf")
        >>> guard.check("input", "please rm -rf /").action, guard.seen
        ('block', [('input', 'please rm -rf /')])
    """

    __test__ = False

    def __init__(
        self,
        name: str = "rule",
        *,
        action: str = "allow",
        block: str | None = None,
        redact: str | None = None,
        raises: BaseException | None = None,
        sleep: float = 0.0,
        cost: int = 50,
        wants_conversation: bool = False,
    ) -> None:
        self.name, self.action, self.block, self.redact = name, action, block, redact
        self.raises, self.sleep, self.cost, self.wants_conversation = raises, sleep, cost, wants_conversation
        self.seen: list[tuple[str, Any]] = []

    @property
    def payloads(self) -> list[Any]:
        """The payloads alone, in the order they came."""
        return [payload for _, payload in self.seen]

    def check(self, stage: str, payload: Any) -> Verdict:
        if self.sleep:
            time.sleep(self.sleep)
        return self._answer(stage, payload)

    async def acheck(self, stage: str, payload: Any) -> Verdict:
        if self.sleep:
            await asyncio.sleep(self.sleep)
        return self._answer(stage, payload)

    def _answer(self, stage: str, payload: Any) -> Verdict:
        self.seen.append((stage, payload))
        if self.raises is not None:
            raise self.raises
        text = (
            payload
            if isinstance(payload, str)
            else f"{getattr(payload, 'name', '')} {getattr(payload, 'arguments', payload)}"
        )
        if self.block and self.block in text:
            return Verdict.block(self.name, f"found {self.block!r}", score=1.0)
        if self.redact and self.redact in text:
            return Verdict(action="redact", guard=self.name, redacted=text.replace(self.redact, "[X]"))
        if self.action == "redact":
            return Verdict.redact(self.name, str(text).upper(), "upper-cased")
        if self.action == "allow":
            return Verdict.allow(self.name)
        return Verdict(action=self.action, guard=self.name, reason=f"{self.name} says {self.action}")
