"""RunContext: kept out of the model's schema, filled per call by the dispatcher (inline, threads, async)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Annotated

import pytest
from pydantic import Field

from corral.exceptions import ToolDefinitionError
from corral.tools import Registry, RunContext, adispatch, dispatch, stable_key, tool


@dataclass
class Deps:
    prefix: str


@tool
def label(ctx: RunContext[Deps], text: str) -> str:
    """Label text with the application's prefix."""
    return f"{ctx.deps.prefix}:{text}:{ctx.call_id}:{ctx.tool_name}:{threading.current_thread().name}"


@tool
async def alabel(text: str, context: RunContext[Deps]) -> str:
    """Async twin, the context last."""
    await asyncio.sleep(0)
    return f"{context.deps.prefix}:{text}:{context.call_id}"


BASE = RunContext(deps=Deps("db1"), run_id="r1", idempotency_key="k1")


def test_the_context_parameter_stays_out_of_the_schema_and_arguments():
    assert label.parameters["properties"] == {"text": {"type": "string"}}
    assert label.parameters["required"] == ["text"] and label.context_parameter == "ctx"
    assert alabel.parameters["required"] == ["text"] and alabel.context_parameter == "context"


def test_annotated_and_bare_context_hints_are_recognised():
    @tool
    def a(ctx: Annotated[RunContext[int], "the run"], n: Annotated[int, Field(description="n")]) -> int:
        return ctx.deps + n

    @tool
    def b(ctx: RunContext, n: int) -> int:
        return n

    assert list(a.parameters["properties"]) == ["n"] and list(b.parameters["properties"]) == ["n"]
    assert (
        dispatch(
            Registry([a]),
            [{"name": "a", "arguments": {"n": 2}}],
            context=RunContext(deps=40, run_id="r", idempotency_key="k"),
        )[0].content
        == "42"
    )


def test_two_context_parameters_are_refused():
    with pytest.raises(ToolDefinitionError, match="2 RunContext parameters"):

        @tool
        def twice(a: RunContext, b: RunContext, n: int) -> int:
            return n


def test_dispatch_fills_one_context_per_call_inline_and_in_worker_threads():
    timed = tool(label.func, name="timed", timeout=5)  # a deadline: it runs in a worker thread
    calls = [
        {"name": "label", "arguments": {"text": "a"}, "id": "c1"},
        {"name": "timed", "arguments": {"text": "b"}, "id": "c2"},
    ]
    here = tool(label.func, name="label", thread="caller")  # two calls in a turn: only a caller-bound one stays inline
    inline, threaded = dispatch(Registry([here, timed]), calls, context=BASE)
    assert inline.content == f"db1:a:c1:label:{threading.current_thread().name}"
    assert threaded.content.startswith("db1:b:c2:timed:corral-worker")
    assert inline.arguments == {"text": "a"}  # the record shows the model's arguments only


async def test_adispatch_fills_the_context_for_async_and_sync_tools():
    calls = [
        {"name": "alabel", "arguments": {"text": "x"}, "id": "c1"},
        {"name": "label", "arguments": {"text": "y"}, "id": "c2"},
    ]
    first, second = await adispatch(Registry([alabel, label]), calls, context=BASE)
    assert first.content == "db1:x:c1"
    assert second.content.startswith("db1:y:c2:label:corral-worker")


def test_the_model_cannot_send_the_context_itself():
    [result] = dispatch(
        Registry([label]), [{"name": "label", "arguments": {"text": "a", "ctx": "forged"}}], context=BASE
    )
    assert result.error is not None and result.error.kind == "invalid_arguments"
    assert "ctx" in result.content


def test_outside_an_agent_a_tool_still_gets_a_context_with_a_fresh_key():
    @tool
    def key(ctx: RunContext) -> str:
        return ctx.idempotency_key

    first = dispatch(Registry([key]), [{"name": "key", "arguments": {}}])[0].content
    second = dispatch(Registry([key]), [{"name": "key", "arguments": {}}])[0].content
    assert first.startswith("run-") and second.startswith("run-") and first != second


def test_stable_keys_depend_only_on_their_parts():
    assert stable_key("item-1", "spec-a") == stable_key("item-1", "spec-a")
    assert (
        len(
            {
                stable_key("item-1", "spec-a"),
                stable_key("item-2", "spec-a"),
                stable_key("item-1", "spec-b"),
                stable_key("item-1spec-a"),
            }
        )
        == 4
    )
    with pytest.raises(ValueError):
        stable_key()
