"""Tools whose schemas use $ref, allOf, maps and lower bounds, through the real tiny model.

Before the grammar knew these keywords it let the model write anything there, and forced calls
came back invalid: ``{"a": {"x": 1.5}}`` for a $ref'd point that needs y as well, the schema itself
as the value of a ``dict[str, int]``, ``{"allOf": ...}`` for a number. Every forced call must now
validate, so it runs (status ``ok``) instead of going back to the model as an error.
"""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from corral import Agent
from corral.prompts import get_format
from corral.tools import Tool, tool

llama_cpp = pytest.importorskip("llama_cpp")

POINT = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}
CASES = [
    (
        "distance",
        {"type": "object", "$defs": {"Pt": POINT}, "properties": {"a": {"$ref": "#/$defs/Pt"}, "b": {"$ref": "#/$defs/Pt"}},
         "required": ["a", "b"]},
        "Distance between the points (1, 2) and (4, 6)?",
    ),
    (
        "tag_photo",
        {"type": "object", "properties": {"counts": {"type": "object", "additionalProperties": {"type": "integer"}}},
         "required": ["counts"]},
        "Tag the photo: 3 cats and 2 dogs.",
    ),
    (
        "pick_number",
        {"type": "object", "properties": {"n": {"allOf": [{"type": "integer"}, {"minimum": 3}]}}, "required": ["n"]},
        "Pick the number five.",
    ),
    (
        "order",
        {"type": "object", "properties": {
            "skus": {"type": "array", "items": {"type": "string", "minLength": 3}, "minItems": 1},
            "qty": {"type": "integer", "exclusiveMinimum": 0}}, "required": ["skus", "qty"]},
        "Order two of item ABC-123.",
    ),
]  # fmt: skip


def _echo(**arguments):
    return json.dumps(arguments)


@pytest.mark.parametrize("name, schema, question", CASES, ids=[c[0] for c in CASES])
def test_forced_calls_validate(tiny_backend, name, schema, question):
    tool = Tool.from_schema(name, f"The {name.replace('_', ' ')} tool.", schema, _echo)
    agent = Agent(tiny_backend, tools=[tool], tool_choice="required", max_turns=1, max_tokens=96, guards=None)
    result = agent.run(question)
    assert result.tool_calls, result.output
    for call in result.tool_calls:
        assert call.status == "ok", (call.arguments, call.result)


def test_llama_cpp_parses_these_grammars(tiny_backend, tiny_model_path):
    tools = [{"name": name, "parameters": schema} for name, schema, _ in CASES]
    llm = llama_cpp.Llama(model_path=str(tiny_model_path), n_ctx=256, n_threads=1, verbose=False, vocab_only=True)
    for fmt in (get_format("llama3.2"), get_format("jinja", gguf=tiny_model_path)):
        grammars = [fmt.grammar(tools), fmt.call_grammar(tools)] + [fmt.grammar_for_tool(t) for t in tools]
        for grammar in grammars:
            sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, grammar.encode(), b"root")
            assert sampler, grammar
            llama_cpp.llama_sampler_free(sampler)


class Node(BaseModel):
    name: str
    children: list[Node] = []


@tool
def save_tree(root: Node) -> str:
    """Save a tree of named nodes.

    Args:
        root: The root node.
    """
    return f"saved {root.name}"


@pytest.mark.parametrize("fmt", ["jinja", "llama3.2"])
def test_a_recursive_model_gives_a_call_that_closes_and_validates(tiny_backend, fmt):
    # Under a recursive grammar the tiny model nests A, B, C, A, B, C... until max_tokens, and the
    # call never closed (a parse error, no call at all); the loop check now has the sampler close it.
    assert "$defs" in save_tree.parameters  # pydantic keeps a recursive model as a $ref
    agent = Agent(tiny_backend, tools=[save_tree], tool_choice="required", max_turns=1, max_tokens=128, guards=None,
                  **({} if fmt == "jinja" else {"format": fmt}))  # fmt: skip
    result = agent.run("Save a tree: root A with children B and C.")
    assert [c.status for c in result.tool_calls] == ["ok"], result.messages[-1].content


def test_structured_output_of_a_recursive_model_closes_and_validates(tiny_backend):
    # The same nesting as above, as the run's answer (output_type): its calls-only grammar gets the
    # loop check too, so the answer closes and validates instead of running to max_tokens.
    agent = Agent(tiny_backend, output_type=Node, max_turns=2, max_tokens=128, guards=None)
    result = agent.run("Describe a tree: root A with children B and C.")
    assert result.ok and isinstance(result.output, Node), result.stop_message
