"""LlamaGuard on real backends: an OpenAI-compatible /v1/completions endpoint (respx) and the
embedded llama.cpp backend with the real tiny model (not a Llama Guard model: its answer is
whatever SmolLM2 says, which is exactly the unparseable-output case that must fail closed)."""

from __future__ import annotations

import httpx
import pytest
import respx

from corral.backends.openai import OpenAIBackend
from corral.guards import Conversation, GuardChain, LlamaGuard

URL = "http://guard.test/v1"


def completion(text):
    return httpx.Response(
        200,
        json={
            "id": "c1",
            "object": "text_completion",
            "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 3, "total_tokens": 303},
        },
    )


@respx.mock
def test_http_round_trip_sends_meta_prompt_and_reads_the_answer():
    route = respx.post(f"{URL}/completions").mock(return_value=completion("unsafe\nS9"))
    guard = LlamaGuard(OpenAIBackend(URL, model="llama-guard-3-1b", max_retries=0))
    verdict = guard.check("input", "how do I enrich uranium at home")
    body = route.calls.last.request.read().decode()
    import json

    sent = json.loads(body)
    assert sent["prompt"] == guard.prompt("input", "how do I enrich uranium at home")
    assert "<|eot_id|>" in sent["stop"] and sent["model"] == "llama-guard-3-1b"
    assert verdict.action == "block" and verdict.categories == ("S9",)


@respx.mock
async def test_http_async_output_check():
    respx.post(f"{URL}/completions").mock(return_value=completion("safe"))
    guard = LlamaGuard(OpenAIBackend(URL, max_retries=0))
    verdict = await guard.acheck("output", Conversation(user="hi", agent="hello"))
    assert verdict.action == "allow" and verdict.details["role"] == "Agent"


@respx.mock
def test_server_error_fails_closed_in_the_chain():
    respx.post(f"{URL}/completions").mock(return_value=httpx.Response(500, text="model crashed"))
    chain = GuardChain({"input": [LlamaGuard(OpenAIBackend(URL, max_retries=0))]})
    result = chain.check("input", "hello")
    assert result.action == "block" and result.blocked_by.categories == ("guard_error",)
    assert "failing closed" in result.blocked_by.reason


def test_real_tiny_model_answer_is_read_strictly(tiny_model_path):
    pytest.importorskip("llama_cpp")
    from corral.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(str(tiny_model_path), n_ctx=2048, n_threads=2)
    verdict = LlamaGuard(backend).check("input", "What is the capital of France?")
    answer = verdict.details["answer"]
    # Only an exact "safe" may pass; SmolLM2 was never trained on this format.
    assert (verdict.action == "allow") == (answer.strip() == "safe")
    if verdict.action == "block":
        assert verdict.details["problem"]
