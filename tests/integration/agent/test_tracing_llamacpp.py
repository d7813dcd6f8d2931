"""OpenTelemetry spans of a run on the real tiny model: the model spans report the tokens llama.cpp counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral import Agent

pytest.importorskip("opentelemetry.sdk", reason="needs pip install opentelemetry-sdk (in the dev extra)")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

from corral.tracing import OTelTracer  # noqa: E402


def test_model_spans_carry_the_runs_token_usage(tiny_backend, two_tools):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agent = Agent(tiny_backend, tools=two_tools, guards=None, tool_choice="required", max_turns=2, max_tokens=48)
    tracer = OTelTracer.for_agent(agent, tracer_provider=provider)
    try:
        result = agent.run("What is 12 plus 30? Use the add tool.", hooks=[tracer])
    finally:
        tracer.close()
    model_name = Path(tiny_backend.model_path).name
    spans = exporter.get_finished_spans()
    models = sorted((s for s in spans if s.name == f"text_completion {model_name}"), key=lambda s: s.start_time)
    assert len(models) == len(result.turns) >= 1
    for span, turn in zip(models, result.turns):
        assert span.attributes["gen_ai.usage.input_tokens"] == turn.prompt_tokens > 0
        assert span.attributes["gen_ai.usage.output_tokens"] == turn.completion_tokens > 0
        assert span.attributes["corral.usage.prompt_tokens_evaluated"] == turn.prompt_tokens_evaluated
        assert span.attributes["gen_ai.request.model"] == model_name
        assert span.attributes["gen_ai.provider.name"] == "llama.cpp"
    assert models[0].attributes["corral.grammar"] is True  # the forced first call is grammar-constrained
    [run] = [s for s in spans if s.name == "invoke_agent corral"]
    assert run.attributes["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens
    assert run.attributes["gen_ai.usage.output_tokens"] == result.usage.completion_tokens
    if len(models) > 1:  # later turns reuse the KV-cache prefix: reported as cache reads
        assert models[1].attributes["gen_ai.usage.cache_read.input_tokens"] > 0
    tools = [s for s in spans if s.name.startswith("execute_tool ")]
    assert [s.attributes["gen_ai.tool.call.id"] for s in tools] == [c.id for c in result.tool_calls]
