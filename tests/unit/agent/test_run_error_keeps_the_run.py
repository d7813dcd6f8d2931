"""A run that dies mid-way keeps what it did: the RunError carries the messages and tool calls so far.

The case behind it: a tool returns a long document, the next prompt no longer fits the context,
and the backend raises. The tool ran (its side effects happened); before, the caller got only the
exception and lost the record of that call and its result.
"""

from __future__ import annotations

import asyncio

import pytest

from corral import Agent
from corral.exceptions import BackendError, RunError
from corral.testing import FunctionBackend
from corral.tools import tool

ORDERS: list[str] = []


@tool
def place_order(item: str) -> str:
    """Order an item.

    Args:
        item: What to order.
    """
    ORDERS.append(item)
    return f"order #{len(ORDERS)} placed for {item}"


def _model(prompt: str) -> str:
    if "order #" in prompt:
        raise BackendError("The prompt is 5000 tokens; it does not fit n_ctx=2048 (with room to answer).")
    return '[place_order(item="tea")]'


def _check(exc: RunError) -> None:
    assert [c.name for c in exc.tool_calls] == ["place_order"]
    assert exc.tool_calls[0].status == "ok" and exc.tool_calls[0].result.startswith("order #")
    roles = [m.role for m in exc.messages]
    assert roles[0] == "user" and roles[-1] in ("tool", "ipython"), roles
    assert "order #" in exc.messages[-1].content


@pytest.mark.parametrize("how", ["run", "stream", "arun"])
def test_a_backend_failure_after_a_tool_call_keeps_the_call(how):
    agent = Agent(FunctionBackend(_model), tools=[place_order], guards=None)
    with pytest.raises(BackendError) as caught:
        if how == "run":
            agent.run("Order tea.")
        elif how == "stream":
            list(agent.stream("Order tea."))
        else:
            asyncio.run(agent.arun("Order tea."))
    _check(caught.value)


def test_the_run_goes_on_from_the_messages_without_calling_the_tool_again():
    ORDERS.clear()
    with pytest.raises(BackendError) as caught:
        Agent(FunctionBackend(_model), tools=[place_order], guards=None).run("Order tea.")
    assert ORDERS == ["tea"]
    history = caught.value.messages
    # A backend with room for it (here: one that answers) continues from there.
    result = Agent(FunctionBackend(lambda prompt: "Your tea is ordered."), tools=[place_order], guards=None).run(
        "Is it done?", history=history
    )
    assert result.ok and ORDERS == ["tea"]
    assert [m.content for m in result.messages[: len(history)]] == [m.content for m in history]


def test_an_error_raised_before_any_run_carries_nothing():
    assert RunError("x").messages is None and RunError("x").tool_calls is None
