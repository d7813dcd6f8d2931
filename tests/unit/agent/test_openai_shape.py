"""OpenAI-shaped output: ``RunResult.to_openai()`` / ``Message.to_openai()``, and that shape as history.

Property: any conversation survives the trip through JSON in the Chat Completions shape, and an agent
continuing from it renders exactly the prompt it renders from the original messages.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral import Agent
from corral.prompts.messages import Message, ToolCall, to_messages
from corral.testing import ScriptedBackend

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
NAMES = st.sampled_from(["add", "get_weather", "notes.search", "mcp-tool"])


@st.composite
def conversations(draw) -> list[Message]:
    messages = [Message(role="system", content=draw(TEXT))] if draw(st.booleans()) else []
    for turn in range(draw(st.integers(1, 3))):
        messages.append(Message(role="user", content=draw(TEXT), name=draw(st.sampled_from([None, "corral"]))))
        calls = [
            ToolCall(
                name=draw(NAMES), arguments=draw(st.dictionaries(TEXT, JSON_VALUE, max_size=3)), id=f"call_{turn}_{i}"
            )
            for i in range(draw(st.integers(0, 2)))
        ]
        if calls:
            messages.append(Message(role="assistant", content=draw(st.none() | TEXT), tool_calls=calls))
            for call in calls:
                content = draw(TEXT | st.dictionaries(TEXT, JSON_VALUE, max_size=2))
                messages.append(
                    Message(role=draw(st.sampled_from(["tool", "ipython"])), content=content, tool_call_id=call.id)
                )
        messages.append(Message(role="assistant", content=draw(TEXT)))
    return messages


def _as_stored(messages: list[Message]) -> list[Message]:
    """What the Chat Completions shape keeps: tool results are role "tool" with text content."""
    return [
        m.model_copy(update={"role": "tool", "content": m.text}) if m.role in ("tool", "ipython") else m
        for m in messages
    ]


@settings(max_examples=150, deadline=None)
@given(conversations())
def test_round_trip_through_json_in_the_openai_shape(messages):
    stored = json.loads(json.dumps([m.to_openai() for m in messages]))
    for raw in stored:  # the shape itself
        assert set(raw) <= {"role", "content", "tool_calls", "tool_call_id", "name"}
        for call in raw.get("tool_calls", []):
            assert call["type"] == "function" and isinstance(call["function"]["arguments"], str)
    back = to_messages(stored)
    assert back == _as_stored(messages)
    assert [m.to_openai() for m in back] == stored  # a fixed point


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conversations())
def test_an_agent_continues_from_the_openai_shape_with_the_same_prompt(messages):
    prompts = []
    for history in (messages, [m.to_openai() for m in messages]):
        backend = ScriptedBackend(["ok"])
        Agent(backend, guards=None, format="llama3.2").run("and now?", history=history)
        prompts.append(backend.prompts[0])
    assert prompts[0] == prompts[1]


def test_a_run_result_in_the_openai_shape(make_agent):
    agent, _ = make_agent(["[add(a=2, b=3)]", "It is 5."])
    result = agent.run("2+3?")
    stored = result.to_openai()
    call = stored[1]["tool_calls"][0]
    assert call == {
        "id": result.tool_calls[0].id,
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
    }
    assert stored[2] == {"role": "tool", "content": "5", "tool_call_id": call["id"], "name": "add"}
    agent2, backend = make_agent(["Still 5."])
    again = agent2.run("Sure?", history=stored)
    assert again.ok and again.messages[:4] == result.messages
