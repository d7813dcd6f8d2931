"""Shared pieces of the agent's unit tests: two small tools, the test guard, an agent factory.

The backend is corral.testing.ScriptedBackend: raw model text goes through the real chat format,
parser, tools dispatcher and guard chain; only the model is scripted.
"""

from __future__ import annotations

from typing import Any

import pytest
from agent_tools import add, lookup  # noqa: F401 - shared with the other agent tier
from guard_doubles import RecordingGuard

from corral import Agent
from corral.guards.chain import GuardChain
from corral.testing import ScriptedBackend


def chain(guard: RecordingGuard, *stages: str) -> GuardChain:
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
    """The shared test-double guard class (tests/guard_doubles.py)."""
    return RecordingGuard


@pytest.fixture
def stage_chain():
    return chain
