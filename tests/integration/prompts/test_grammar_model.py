"""Grammars against the real llama.cpp: it parses every grammar we build for BFCL's tools, and
SmolLM2 (the real tiny model) generating under them yields calls that parse and validate."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import pytest

from corral.prompts import get_format
from corral.tools import normalize_schema

llama_cpp = pytest.importorskip("llama_cpp")

SETS = ["simple_python", "multiple", "parallel", "parallel_multiple"]


def json_schema(schema):
    """BFCL's schema dialect -> JSON Schema, through the library's own normaliser."""
    return normalize_schema(schema)


def load_items(data_dir: Path) -> list[dict]:
    items = []
    for name in SETS:
        path = data_dir / "bfcl" / f"BFCL_v4_{name}.json"
        items += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return items


@pytest.fixture(scope="module")
def items(data_dir):
    return load_items(data_dir)


@pytest.fixture(scope="module")
def llm(tiny_model_path):
    return llama_cpp.Llama(model_path=str(tiny_model_path), n_ctx=2048, n_threads=2, verbose=False, seed=7)


def test_llama_cpp_parses_every_grammar(items, llm):
    formats = [get_format("llama3.2"), get_format("llama3.2-json", parallel_calls=True)]
    for item in items:
        for fmt in formats:
            tools = item["function"]
            grammars = [fmt.grammar(tools), fmt.call_grammar(tools), fmt.choice_grammar(tools)]
            grammars += [fmt.grammar_for_tool(t) for t in tools]
            for g in grammars:
                sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, g.encode(), b"root")
                assert sampler, (item["id"], g)
                llama_cpp.llama_sampler_free(sampler)


def _check(text: str, fmt, tools: list[dict], item_id: str) -> list:
    turn = fmt.parse(text)  # raises ToolCallParseError if the grammar let a malformed call through
    by_name = {t["name"]: t for t in tools}
    for call in turn.tool_calls:
        assert call.name in by_name, (item_id, text)
        schema = json_schema(by_name[call.name]["parameters"])
        errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(call.arguments)]
        assert errors == [], (item_id, text, errors)
    return turn.tool_calls


@pytest.mark.parametrize("flavor", ["json", "pythonic"])
def test_smollm2_under_grammar_always_parses_and_validates(items, llm, tiny_model_path, flavor):
    chat = get_format("jinja", gguf=tiny_model_path)
    constrain = chat if flavor == "json" else get_format("llama3.2")
    sample = random.Random(20250101).sample(items, 8 if flavor == "json" else 4)
    made_calls = 0
    for item in sample:
        tools = item["function"]
        prompt = chat.render(item["question"][0], tools)
        for grammar, max_tokens in ((constrain.grammar(tools), 24), (constrain.call_grammar(tools), 160)):
            out = llm(
                prompt,
                grammar=llama_cpp.LlamaGrammar.from_string(grammar, verbose=False),
                max_tokens=max_tokens,
                temperature=0.0,
                stop=list(chat.stop_tokens),
            )
            choice = out["choices"][0]
            text = choice["text"]
            if choice["finish_reason"] == "length":
                # a text answer may be cut at max_tokens; a call must never be
                assert text[:1] not in "[{", (item["id"], text)
            made_calls += len(_check(text, constrain, tools, item["id"]))
    assert made_calls >= len(sample)  # call_grammar forces at least one call per item


MCP_TOOLS = [
    {
        "name": name,
        "description": "An MCP tool.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
    }
    for name in ("fs.read-file", "github.create_issue", "create-ticket", "db.import")
]


@pytest.mark.parametrize("fmt_name", ["llama3.2", "llama3.2-json", "llama3.1", "llama3", "jinja"])
def test_mcp_names_through_the_real_grammar_parser_and_model(fmt_name, llm, tiny_model_path):
    # Issue 17: hyphens and dots in names survive llama.cpp's own GBNF parser, and what the real
    # model writes under the call grammar parses back to one of those names.
    chat = get_format("jinja", gguf=tiny_model_path)
    fmt = chat if fmt_name == "jinja" else get_format(fmt_name)
    grammars = [fmt.grammar(MCP_TOOLS), fmt.call_grammar(MCP_TOOLS), fmt.choice_grammar(MCP_TOOLS)]
    grammars += [fmt.grammar_for_tool(t) for t in MCP_TOOLS]
    for g in grammars:
        sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, g.encode(), b"root")
        assert sampler, g
        llama_cpp.llama_sampler_free(sampler)
    if fmt_name not in ("llama3.2", "jinja"):
        return  # the other formats' grammars are the JSON one (llama.cpp's grammar sampling is slow here)
    prompt = chat.render([{"role": "user", "content": "Open the file notes.txt"}], MCP_TOOLS)
    out = llm(
        prompt,
        grammar=llama_cpp.LlamaGrammar.from_string(fmt.call_grammar(MCP_TOOLS), verbose=False),
        max_tokens=60,
        temperature=0.0,
        stop=list(chat.stop_tokens),
    )
    calls = fmt.parse(out["choices"][0]["text"]).tool_calls
    assert calls and all(c.name in {t["name"] for t in MCP_TOOLS} for c in calls)
