"""The public surface is pinned, documented, and its examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

import corral.tools
import corral.tools.builtin

MODULES = [
    "corral.tools",
    "corral.tools._docstrings",
    "corral.tools.schema",
    "corral.tools.results",
    "corral.tools.definition",
    "corral.tools.validation",
    "corral.tools.registry",
    "corral.tools.dispatcher",
    "corral.tools.context",
    "corral.tools.mcp",
    "corral.tools.builtin",
    "corral.tools.builtin.calculator",
    "corral.tools.builtin.files",
    "corral.tools.builtin._beneath",
    "corral.tools.builtin.web",
    "corral.tools.builtin.documents",
]


def test_public_api_is_pinned():
    assert sorted(corral.tools.__all__) == sorted(
        [
            "tool",
            "Tool",
            "Registry",
            "ToolResult",
            "ToolError",
            "dispatch",
            "adispatch",
            "validate_arguments",
            "coerce_arguments",
            "serialize_result",
            "normalize_schema",
            "DEFAULT_MAX_RESULT_CHARS",
            "RunContext",
            "stable_key",
            "ModelRetry",
        ]
    )
    assert sorted(corral.tools.builtin.__all__) == sorted(
        [
            "calculator",
            "evaluate",
            "fetch_url",
            "http_get",
            "check_address",
            "file_tools",
            "read_file_tool",
            "list_dir_tool",
            "DocumentIndex",
            "Hit",
            "search_tool",
        ]
    )


@pytest.mark.parametrize("package", [corral.tools, corral.tools.builtin])
def test_every_public_symbol_has_a_docstring(package):
    for name in package.__all__:
        obj = getattr(package, name)
        if callable(obj) or isinstance(obj, type):
            assert getattr(obj, "__doc__", None) or getattr(obj, "description", ""), name


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
