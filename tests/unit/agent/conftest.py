"""Shared pieces of the agent's unit tests: two small tools, a test guard, an agent factory.

The backend is corral.testing.ScriptedBackend: raw model text goes through the real chat format,
parser, tools dispatcher and guard chain; only the model is scripted.
"""

from __future__ import annotations

from typing import Any

import pytest

from corral import Agent
from corral.guards.base import Verdict
from corral.guards.chain import GuardChain
from corral.testing import ScriptedBackend
from agent_tools import add, lookup  # noqa: F401 - shared with the other agent tier




class RuleGuard:
    """A test guard: blocks or redacts payloads containing a marker word, on the stages it is given.

    A test double where the real guards would make the test about their classifiers, not the loop.
    """

    name = "rule"

    def __init__(self, block: str | None = None, redact: str | None = None) -> None:
        self.block, self.redact = block, redact
        self.seen: list[tuple[str, Any]] = []

    def check(self, stage: str, payload: Any) -> Verdict:
        self.seen.append((stage, payload))
        text = payload if isinstance(payload, str) else f"{payload.name} {payload.arguments}"
        if self.block and self.block in text:
            return Verdict.block(self.name, f"found {self.block!r}", score=1.0)
        if self.redact and self.redact in text:
            return Verdict(action="redact", guard=self.name, redacted=text.replace(self.redact, "[X]"))
        return Verdict.allow(self.name)

    async def acheck(self, stage: str, payload: Any) -> Verdict:
        return self.check(stage, payload)


def chain(guard: RuleGuard, *stages: str) -> GuardChain:
    return GuardChain({stage: [guard] for stage in stages})


@pytest.fixture
def make_agent():
    def make(texts: list[str], **kw: Any) -> tuple[Agent, ScriptedBackend]:
        backend = ScriptedBackend(texts)
        kw.setdefault("tools", [add, lookup])
        kw.setdefault("guards", None)
        return Agent(backend, format="llama3.2", **kw), backend
    return make


@pytest.fixture
def rule_guard():
    """The RuleGuard class (fixtures, since test modules cannot import this conftest by name)."""
    return RuleGuard


@pytest.fixture
def stage_chain():
    return chain
