"""Tool specs: whatever the user hands us becomes one OpenAI-style tool dict.

Accepted: ``{"type": "function", "function": {...}}``, a bare ``{"name", "description",
"parameters"}`` dict, or any object with a ``to_openai()`` method (corral tools). The result is
always ``{"type": "function", "function": {"name", "description", "parameters"}}``, with key order
kept as given (Meta's templates print the dicts as they are, so order is part of the prompt).

Example::

    >>> tool_specs([{"name": "ping", "parameters": {"type": "object", "properties": {}}}])[0]["type"]
    'function'
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from corral.exceptions import ToolDefinitionError

__all__ = ["tool_specs", "function_of", "tool_names"]


def _spec_of(tool: Any) -> dict[str, Any]:
    if hasattr(tool, "to_openai") and callable(tool.to_openai):
        tool = tool.to_openai()
    if not isinstance(tool, dict):
        raise ToolDefinitionError(
            f"a tool must be an OpenAI-style dict or have a to_openai() method, got {type(tool).__name__}"
        )
    if tool.get("type") == "function" and isinstance(tool.get("function"), dict):
        return copy.deepcopy(tool)
    if isinstance(tool.get("name"), str):
        return {"type": "function", "function": copy.deepcopy(tool)}
    raise ToolDefinitionError(
        f"tool dict without a name: {sorted(tool)!r}; pass {{'type': 'function', 'function': "
        "{'name': ..., 'description': ..., 'parameters': {...}}}"
    )


def tool_specs(tools: Iterable[Any] | None) -> list[dict[str, Any]]:
    """Normalise tools (OpenAI dicts, bare function dicts, corral tools) into OpenAI-style dicts.

    Example::

        >>> tool_specs([{"type": "function", "function": {"name": "f"}}])[0]["function"]["name"]
        'f'
    """
    if tools is None:
        return []
    if isinstance(tools, dict) or hasattr(tools, "to_openai"):
        tools = [tools]
    specs = [_spec_of(t) for t in tools]
    for spec in specs:
        name = spec["function"].get("name")
        if not isinstance(name, str) or not name:
            raise ToolDefinitionError(f"tool spec without a usable name: {spec!r}")
    return specs


def function_of(spec: dict[str, Any]) -> dict[str, Any]:
    """The inner function object of a normalised spec (name, description, parameters)."""
    return spec["function"]


def tool_names(specs: Iterable[dict[str, Any]]) -> list[str]:
    """Names of normalised specs, in order."""
    return [function_of(s)["name"] for s in specs]
