"""OpenAIBackend against faults a real server cannot produce on demand (respx), and its JSON mapping.

The happy paths run against a real llama_cpp.server in tests/integration/agent.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from corral import BackendConnectError, BackendError, BackendHTTPError, BackendTimeout, OpenAIBackend, StreamTruncated
from corral.backends.base import Completion, CompletionDelta

BASE = "http://llm.test/v1"
OK = {"choices": [{"text": "hello", "finish_reason": "stop"}], "usage": {"prompt_tokens": 10, "completion_tokens": 2}}


@pytest.fixture
def sleeps(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr("corral.backends.openai.time.sleep", waited.append)

    async def fake_sleep(seconds):
        waited.append(seconds)

    monkeypatch.setattr("corral.backends.openai.asyncio.sleep", fake_sleep)
    return waited


def backend(**kw) -> OpenAIBackend:
    kw.setdefault("api_key", "sk-test")
    return OpenAIBackend(BASE, model="tiny", **kw)


@respx.mock
def test_429_honours_retry_after(sleeps):
    route = respx.post(f"{BASE}/completions").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}, text="slow down"), httpx.Response(200, json=OK)]
    )
    done = backend().complete("hi", stop=["<|eot_id|>"], max_tokens=8)
    assert done.text == "hello" and route.call_count == 2 and sleeps == [3.0]
    assert done.prompt_tokens == 10 == done.prompt_tokens_evaluated and done.completion_tokens == 2


@respx.mock
def test_500_then_success_backs_off_with_jitter(sleeps):
    respx.post(f"{BASE}/completions").mock(
        side_effect=[httpx.Response(500), httpx.Response(502), httpx.Response(200, json=OK)]
    )
    assert backend(backoff=1.0).complete("hi", max_tokens=8).text == "hello"
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


@respx.mock
def test_retry_budget_ends_in_a_clear_http_error(sleeps):
    respx.post(f"{BASE}/completions").mock(return_value=httpx.Response(503, text="overloaded " * 100))
    with pytest.raises(BackendHTTPError) as err:
        backend(max_retries=2).complete("hi", max_tokens=8)
    assert err.value.status == 503 and "after 3 attempts" in str(err.value) and "overloaded" in str(err.value)
    assert len(str(err.value)) < 500 and len(sleeps) == 2


@respx.mock
def test_client_error_is_not_retried(sleeps):
    route = respx.post(f"{BASE}/completions").mock(return_value=httpx.Response(400, json={"error": "bad grammar"}))
    with pytest.raises(BackendHTTPError, match="HTTP 400.*bad grammar"):
        backend().complete("hi", max_tokens=8)
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_timeouts_are_retried_then_reported(sleeps):
    route = respx.post(f"{BASE}/completions").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(BackendTimeout, match="did not answer in time"):
        backend(max_retries=1).complete("hi", max_tokens=8)
    assert route.call_count == 2


@respx.mock
def test_connect_errors_say_where(sleeps):
    respx.post(f"{BASE}/completions").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(BackendConnectError, match="llm.test.*is the server running"):
        backend(max_retries=0).complete("hi", max_tokens=8)


@respx.mock
def test_malformed_json_is_a_clear_error(sleeps):
    respx.post(f"{BASE}/completions").mock(return_value=httpx.Response(200, text="<html>proxy error"))
    with pytest.raises(BackendError, match="malformed JSON.*proxy error"):
        backend().complete("hi", max_tokens=8)


@respx.mock
def test_request_body_carries_prompt_stop_grammar_and_key():
    route = respx.post(f"{BASE}/completions").mock(return_value=httpx.Response(200, json=OK))
    backend().complete("PROMPT", stop=["<|eot_id|>"], max_tokens=5, grammar='root ::= "x"')
    request = route.calls.last.request
    body = __import__("json").loads(request.content)
    assert body == {
        "prompt": "PROMPT",
        "max_tokens": 5,
        "temperature": 0.0,
        "model": "tiny",
        "stop": ["<|eot_id|>"],
        "grammar": 'root ::= "x"',
    }
    assert request.headers["authorization"] == "Bearer sk-test"


def test_api_key_from_environment(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("CORRAL_API_KEY", "sk-env")
    assert OpenAIBackend(BASE).client.headers["authorization"] == "Bearer sk-env"


@respx.mock
def test_llama_server_timings_give_evaluated_tokens():
    data = {**OK, "timings": {"prompt_n": 4}}
    respx.post(f"{BASE}/completions").mock(return_value=httpx.Response(200, json=data))
    assert backend().complete("hi", max_tokens=8).prompt_tokens_evaluated == 4


def sse(*events: str) -> bytes:
    return "".join(f"data: {e}\n\n" for e in events).encode()


@respx.mock
def test_stream_yields_deltas_then_completion():
    body = sse(
        '{"choices":[{"text":"hel","finish_reason":null}]}',
        '{"choices":[{"text":"lo","finish_reason":"stop"}]}',
        "[DONE]",
    )
    respx.post(f"{BASE}/completions").mock(return_value=httpx.Response(200, content=body))
    items = list(backend().stream("hi", max_tokens=8))
    assert [i.text for i in items if isinstance(i, CompletionDelta)] == ["hel", "lo"]
    assert isinstance(items[-1], Completion) and items[-1].text == "hello"


@respx.mock
def test_stream_cut_mid_way_is_detected():
    body = sse('{"choices":[{"text":"hel","finish_reason":null}]}')
    respx.post(f"{BASE}/completions").mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(StreamTruncated, match="incomplete"):
        list(backend().stream("hi", max_tokens=8))


@respx.mock
def test_async_stream_cut_and_async_retry(sleeps):
    respx.post(f"{BASE}/completions").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, content=sse('{"choices":[{"text":"a","finish_reason":null}]}')),
        ]
    )

    async def go():
        return [item async for item in backend().astream("hi", max_tokens=8)]

    with pytest.raises(StreamTruncated):
        asyncio.run(go())
    assert sleeps == [1.0]


@respx.mock
def test_acomplete_retries_500(sleeps):
    respx.post(f"{BASE}/completions").mock(side_effect=[httpx.Response(500), httpx.Response(200, json=OK)])
    assert asyncio.run(backend().acomplete("hi", max_tokens=8)).text == "hello"


@respx.mock
def test_chat_mode_reads_server_tool_calls():
    call = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}
    reply = {
        "choices": [
            {"message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3},
    }
    route = respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=reply))
    chat = backend(mode="chat")
    tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    out = chat.chat([{"role": "user", "content": "1+2"}], tools=tools, tool_choice="add", max_tokens=16)
    assert out.turn.tool_calls[0].arguments == {"a": 1, "b": 2} and out.turn.tool_calls[0].id == "c1"
    sent = __import__("json").loads(route.calls.last.request.content)
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "add"}} and sent["tools"] == tools


@respx.mock
def test_chat_mode_parses_calls_written_as_text():
    reply = {"choices": [{"message": {"role": "assistant", "content": "[add(a=1, b=2)]"}, "finish_reason": "stop"}]}
    respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=reply))
    out = backend(mode="chat").chat([{"role": "user", "content": "1+2"}], tools=[], tool_choice="auto", max_tokens=16)
    assert out.turn.tool_calls[0].name == "add"


def test_base_url_without_path_gets_v1():
    assert OpenAIBackend("http://localhost:8080").base_url == "http://localhost:8080/v1"
    assert OpenAIBackend("http://localhost:11434/v1/").base_url == "http://localhost:11434/v1"


@respx.mock
def test_agent_in_chat_mode_runs_the_loop_through_the_server():
    from corral import Agent
    from corral.tools import tool

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    call = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}
    first = {
        "choices": [
            {"message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}
        ]
    }
    second = {"choices": [{"message": {"role": "assistant", "content": "It is 3."}, "finish_reason": "stop"}]}
    route = respx.post(f"{BASE}/chat/completions").mock(
        side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=second)]
    )
    result = Agent(backend(mode="chat"), tools=[add], guards=None).run("1+2?")
    assert result.output == "It is 3." and result.tool_calls[0].result == "3"
    sent = __import__("json").loads(route.calls.last.request.content)["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "c1", "content": "3"}
    assert sent[-2]["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a": 1, "b": 2}'}
