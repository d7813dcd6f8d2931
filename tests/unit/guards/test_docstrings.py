"""The examples in corral.guards docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "base",
    "chain",
    "pii",
    "code",
    "policy",
    "features",
    "decoding",
    "injection",
    "llama_guard",
    "prompt_guard",
    "training.corpus",
    "training.traffic",
    "__init__",
    "provenance",
    "intent",
    "spotlight",
    "json_spans",
    "addressed",
    "rules",
    "training.pyrit_jailbreaks",
    "training.deepset",
    "images",
    "patterns",
    "mentions",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module("corral.guards" if name == "__init__" else f"corral.guards.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
