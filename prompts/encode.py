"""Tool calls -> the exact text a model emits, in each call syntax.

The canonical forms here are the ones the grammars enforce, so a model's constrained output,
parsed and re-rendered, gives back the same bytes (the embedded backend's KV cache relies on it):

- pythonic: ``[get_weather(city="Paris", days=3), ping()]``. Values are Python literals written
  JSON-style: double-quoted strings with JSON escapes (valid Python escapes too), ``True`` /
  ``False`` / ``None``, dicts as ``{"k": 1}``. Meta's reference encoder writes ``k="{value}"``,
  which breaks on quotes and dicts; ours always round-trips through :func:`corral.prompts.parse`.
- json: ``{"name": "f", "parameters": {"a": 1}}``, several joined by ``"; "``.
- function_tag: ``<function=f>{"a": 1}</function>``, one after the other.
- python_tag: ``<|python_tag|>f.call(a=1)``, several joined by ``"; "`` (Llama 3.1 built-ins);
  ``code_interpreter`` writes its ``code`` raw after the tag, as the model does.

Example::

    >>> from corral.prompts import ToolCall
    >>> encode_calls([ToolCall(name="f", arguments={"q": 'say "hi"'})], "pythonic")
    '[f(q="say \\\\"hi\\\\"")]'
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from json.encoder import encode_basestring  # exactly what json.dumps(a str, ensure_ascii=False) runs
from typing import Any

from .messages import ToolCall

__all__ = ["encode_calls", "pythonic_value", "json_value", "PYTHON_TAG", "CALL_SYNTAXES"]

PYTHON_TAG = "<|python_tag|>"
CALL_SYNTAXES = ("pythonic", "json", "function_tag", "python_tag")


# Built once: json.dumps with any non-default option builds a new encoder per call, and the
# prompt is rendered every turn.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_NAMES = {None: "None", True: "True", False: "False"}


def json_value(value: Any) -> str:
    """A value as compact-but-spaced JSON (``json.dumps`` defaults, non-ASCII kept)."""
    return _JSON.encode(value)


def pythonic_value(value: Any) -> str:
    """A JSON-compatible value as a Python literal that ``ast`` reads back to the same value."""
    # Scalars are written as json.dumps writes them (its C encoder uses int's and float's own
    # repr, also for subclasses such as IntEnum), without building an encoder for each value.
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None or isinstance(value, bool):
        return _NAMES[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form; tool arguments must be finite numbers")
        return float.__repr__(value)
    if isinstance(value, dict):
        items = [f"{encode_basestring(str(k))}: {pythonic_value(v)}" for k, v in value.items()]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join([pythonic_value(v) for v in value]) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a tool argument; use JSON types")


def _pythonic_call(call: ToolCall) -> str:
    args = ", ".join([f"{k}={pythonic_value(v)}" for k, v in call.arguments.items()])
    return f"{call.name}({args})"


def _json_call(call: ToolCall) -> str:
    return '{"name": ' + json_value(call.name) + ', "parameters": ' + json_value(call.arguments) + "}"


def _tagged_call(call: ToolCall) -> str:
    if call.name == "code_interpreter" and set(call.arguments) == {"code"}:
        return str(call.arguments["code"])
    return _pythonic_call(call).replace("(", ".call(", 1)


def encode_calls(calls: Iterable[ToolCall], syntax: str = "pythonic") -> str:
    """Write tool calls as model text in one call syntax (see the module docstring).

    Example::

        >>> from corral.prompts import ToolCall
        >>> encode_calls([ToolCall(name="f", arguments={"a": 1})], "json")
        '{"name": "f", "parameters": {"a": 1}}'
    """
    calls = list(calls)
    if syntax == "pythonic":
        return "[" + ", ".join([_pythonic_call(c) for c in calls]) + "]"
    if syntax == "json":
        return "; ".join(_json_call(c) for c in calls)
    if syntax == "function_tag":
        return "".join(f"<function={c.name}>{json_value(c.arguments)}</function>" for c in calls)
    if syntax == "python_tag":
        return PYTHON_TAG + "; ".join(_tagged_call(c) for c in calls)
    raise ValueError(f"unknown call syntax {syntax!r}; use one of {', '.join(CALL_SYNTAXES)}")
