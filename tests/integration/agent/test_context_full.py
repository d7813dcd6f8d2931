"""The real engine's context fills up after a tool ran: a clear error that keeps the run so far."""

from __future__ import annotations

import pytest

from corral import Agent
from corral.exceptions import BackendError
from corral.tools import tool

pytest.importorskip("llama_cpp")


@tool
def fetch_report() -> str:
    """Fetch the yearly report."""
    return "Revenue grew in every quarter of the year, led by exports. " * 600


def test_a_tool_result_too_long_for_the_context_is_an_error_that_keeps_the_call(tiny_backend):
    agent = Agent(tiny_backend, tools=[fetch_report], tool_choice="required", max_tokens=32, guards=None)
    with pytest.raises(BackendError, match="does not fit n_ctx") as caught:
        agent.run("Fetch the yearly report and summarise it.")
    calls = caught.value.tool_calls
    assert [c.name for c in calls] == ["fetch_report"] and calls[0].status == "ok"
    assert caught.value.messages[-1].content.startswith("Revenue grew")
