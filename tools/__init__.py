"""corral.tools: Python functions a Llama model can call, and a dispatcher that never crashes.

Example::

    >>> from corral.tools import Registry, dispatch, tool
    >>> @tool
    ... def add(a: int, b: int) -> int:
    ...     '''Add two integers.'''
    ...     return a + b
    >>> registry = Registry([add])
    >>> dispatch(registry, [{"name": "add", "arguments": {"a": 2, "b": 3}}])[0].content
    '5'
    >>> dispatch(registry, [{"name": "sub", "arguments": {}}])[0].content
    "Unknown tool 'sub'. Available tools: add."

A tool may take a ``RunContext`` parameter (deps, run id, idempotency key, call id, usage so far)
that the model never sees; tools from MCP servers come from ``corral.tools.mcp``. Built-in tools
(calculator, fetch_url, files, document search) live in ``corral.tools.builtin``.
"""

from __future__ import annotations

from corral.exceptions import ModelRetry

from .context import RunContext, stable_key
from .definition import Tool, tool
from .dispatcher import adispatch, dispatch
from .registry import Registry
from .results import DEFAULT_MAX_RESULT_CHARS, ToolError, ToolResult, serialize_result
from .schema import normalize_schema
from .validation import coerce_arguments, validate_arguments

__all__ = [
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
