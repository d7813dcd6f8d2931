"""The public surface of corral.prompts is pinned; module docstring examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

import corral.prompts

PUBLIC = {
    "render",
    "parse",
    "StreamParser",
    "get_format",
    "FORMAT_NAMES",
    "SYNTAXES",
    "ChatFormat",
    "DecisionPolicy",
    "Llama32",
    "Llama3Json",
    "Llama3",
    "JinjaFormat",
    "BUILTIN_TOOLS",
    "encode_calls",
    "tool_specs",
    "validate_grammar",
    "Message",
    "ToolCall",
    "AssistantTurn",
    "to_messages",
    "ToolCallParseError",
    "GrammarError",
    "RenderError",
    "UnknownFormatError",
    "PromptBuilder",
    "HeadCache",
}
MODULES = [
    "__init__",
    "messages",
    "specs",
    "encode",
    "scan",
    "pythonic",
    "jsoncalls",
    "parsing",
    "stream",
    "gbnf",
    "grammar",
    "base",
    "formats",
    "jinja_format",
    "jinja_env",
    "registry",
    "gguf_meta",
    "incremental",
]


def test_all_is_pinned():
    assert set(corral.prompts.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(corral.prompts, name) is not None


def test_errors_are_the_library_wide_classes():
    from corral import exceptions

    assert corral.prompts.ToolCallParseError is exceptions.ToolCallParseError
    assert issubclass(corral.prompts.ToolCallParseError, ValueError)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module("corral.prompts" if module == "__init__" else f"corral.prompts.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
