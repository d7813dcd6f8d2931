"""OpenAIBackend against a real local server (python -m llama_cpp.server, the tiny model): the same
agent as with the embedded backend, in ``completions`` and in ``chat`` mode."""

from __future__ import annotations

import asyncio
import json

from corral import Agent, ModelDelta, OpenAIBackend
from corral.prompts import JinjaFormat


def test_completions_mode_runs_the_agent_with_our_prompt_and_grammar(llama_server, tiny_model_path, two_tools):
    backend = OpenAIBackend(llama_server, mode="completions", timeout=300)
    fmt = JinjaFormat.from_gguf(tiny_model_path)  # same prompt text as the embedded backend renders
    agent = Agent(backend, tools=two_tools, format=fmt, guards=None, tool_choice="required", max_turns=1, max_tokens=48)
    result = agent.run("What is 12 plus 30? Use the add tool.")
    [call] = result.tool_calls
    assert call.status == "ok" and call.name in ("add", "lookup"), call  # the server applied our grammar
    assert result.turns[0].prompt_tokens > 100  # usage came back from the server
    talk = agent.replace(tool_choice="none", max_tokens=16)
    final = asyncio.run(talk.arun("Now answer in one short sentence.", history=result))
    assert final.stop_reason in ("final", "max_tokens") and final.output.strip()  # 16 tokens may cut it
    backend.close()


def test_chat_mode_uses_server_side_tool_calls(llama_server, two_tools):
    backend = OpenAIBackend(llama_server, mode="chat", timeout=300)
    # tool_choice by name: llama_cpp.server constrains the answer to that function's schema and
    # returns it as tool_calls (its template knows no tools otherwise)
    agent = Agent(backend, tools=two_tools, guards=None, tool_choice="add", max_turns=2, max_tokens=48)
    result = agent.run("What is 12 plus 30?")
    first = result.tool_calls[0]
    assert (
        first.name == "add"
        and first.status == "ok"
        and first.result == str(first.arguments["a"] + first.arguments["b"])
    )
    assert result.stop_reason in ("final", "max_turns", "repeated_call"), result.stop_message
    assert result.messages[1].tool_calls[0].id  # the server's call id travels back with the result
    backend.close()


def test_stream_over_sse_against_the_real_server(llama_server):
    backend = OpenAIBackend(llama_server, timeout=300)
    items = list(
        backend.stream("<|im_start|>user\nSay hi<|im_end|>\n<|im_start|>assistant\n", stop=["<|im_end|>"], max_tokens=8)
    )
    done = items[-1]
    assert "".join(i.text for i in items[:-1]) == done.text and done.text
    backend.close()


ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}


def test_chat_mode_streams_tool_call_fragments_from_the_real_server(llama_server):
    from corral.backends.base import ChatReply, ToolCallDelta

    backend = OpenAIBackend(llama_server, mode="chat", timeout=300)
    items = list(
        backend.stream_chat(
            [{"role": "user", "content": "What is 12 plus 30?"}], tools=[ADD_TOOL], tool_choice="add", max_tokens=48
        )
    )
    reply, fragments = items[-1], [i for i in items if isinstance(i, ToolCallDelta)]
    assert isinstance(reply, ChatReply) and fragments
    [call] = reply.turn.tool_calls
    assert call.name == "add" and set(call.arguments) == {"a", "b"}
    assert json.loads("".join(f.arguments for f in fragments)) == call.arguments  # the pieces make the call
    backend.close()


def test_agent_streams_chat_mode_text_from_the_real_server(llama_server):
    backend = OpenAIBackend(llama_server, mode="chat", timeout=300)
    agent = Agent(backend, guards=None, max_turns=1, max_tokens=12)

    async def go():
        return [event async for event in agent.astream("Say hi.")]

    events = asyncio.run(go())
    deltas = [e.text for e in events if isinstance(e, ModelDelta)]
    result = events[-1].result
    assert len(deltas) > 1 and "".join(deltas) == result.messages[-1].content  # token by token, nothing lost
    sync_deltas = [e.text for e in agent.stream("Say hi.") if isinstance(e, ModelDelta)]
    assert len(sync_deltas) > 1
    backend.close()
