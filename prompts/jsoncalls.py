"""JSON tool calls: ``{"name": ..., "parameters": {...}}`` (Llama 3.x) and ``<function=f>{...}</function>``.

Accepted around the canonical form, because real models do it: several objects joined by ``;``,
``,`` or newlines, a JSON list of them, ``"arguments"`` instead of ``"parameters"``, arguments
given as a JSON string, and OpenAI's nested ``{"function": {...}}``. A repeated key is rejected
(ambiguous). An object that is not call-shaped (no ``name`` plus ``parameters``/``arguments``)
is not a call at all: the text is then plain content; but arguments without a tool name are a
malformed call. Python-literal objects (``{'name': 'f', 'parameters': {'a': 'x'}}``, what small
models often write, and what llama-models accepts inside ``<function=...>``) are read with
``ast`` when JSON fails at a single quote: one reading, quotes honoured as written, never
rewritten (llama-models swaps every ``'`` for ``"``, which breaks "it's"). Other non-JSON stays
an error, so the model is asked for JSON.

Example::

    >>> [c.name for c in parse_json_calls('{"name": "a", "arguments": {}}; {"name": "b", "parameters": {}}', 0, None)]
    ['a', 'b']
"""

from __future__ import annotations

import json
import re
from typing import Any

from .messages import ToolCall
from .pythonic import python_literal_at
from .scan import fail, skip_ws

__all__ = ["parse_json_calls", "parse_function_tags", "JSON_START", "FUNCTION_TAG"]

JSON_START = re.compile(r"""\[?\s*\{\s*(["'])(?:name|type|function|parameters|arguments)\1\s*:""")
FUNCTION_TAG = re.compile(r"<function=([^>\s]*)>")
_HINT = 'Write a call as {"name": "tool_name", "parameters": {"arg": value}}.'
_TAG_HINT = 'Write a call as <function=tool_name>{"arg": value}</function>.'


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(f"key {key!r} is repeated, which is ambiguous")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant)


def decode_at(text: str, i: int, hint: str = _HINT) -> tuple[Any, int]:
    """Decode one JSON value starting at ``text[i]``; returns (value, index after)."""
    try:
        return _DECODER.raw_decode(text, i)
    except json.JSONDecodeError as exc:
        # Single quotes where JSON wants double ones: read it as the Python literal it then is.
        if text.startswith("'", exc.pos) and text.startswith(("{", "["), i):
            return python_literal_at(text, i, len(text), hint)
        raise fail(f"invalid JSON ({exc.msg})", text, exc.pos, hint) from None
    except ValueError as exc:  # duplicate keys, NaN/Infinity
        raise fail(str(exc), text, i, hint) from None


def _arguments(raw: Any, name: str, text: str, pos: int) -> dict[str, Any]:
    if isinstance(raw, str):  # arguments double-encoded as a JSON string (OpenAI style)
        raw = decode_at(raw.strip(), 0)[0] if raw.strip() else {}
    if not isinstance(raw, dict):
        raise fail(f"the parameters of {name!r} must be a JSON object", text, pos, _HINT)
    return raw


def call_from_object(obj: Any, text: str, pos: int) -> ToolCall | None:
    """A ToolCall from one decoded object, or None when the object is not call-shaped."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):
        obj = obj["function"]
    name = obj.get("name")
    key = "parameters" if "parameters" in obj else "arguments" if "arguments" in obj else None
    if key is None:
        return None
    if not isinstance(name, str):  # arguments but no usable name: a call attempt, not content
        raise fail(f'the call has {key} but no tool name (a "name" string)', text, pos, _HINT)
    if not name.strip():
        raise fail("the tool name is empty", text, pos, _HINT)
    return ToolCall(name=name, arguments=_arguments(obj[key], name, text, pos))


def _from_list(text: str, i: int, end: int) -> list[ToolCall] | None:
    items, after = decode_at(text[:end], i)
    if not isinstance(items, list) or not items:
        return None
    calls = [call_from_object(obj, text, i) for obj in items]
    if any(c is None for c in calls):
        if all(c is None for c in calls):
            return None
        raise fail("a list mixes tool calls with other values", text, i, _HINT)
    if skip_ws(text[:end], after) < end:
        raise fail("unexpected text after the tool calls", text, skip_ws(text, after), "Reply with only the calls.")
    return calls  # type: ignore[return-value]


def parse_json_calls(text: str, start: int, end: int | None) -> list[ToolCall] | None:
    """Calls from JSON object(s) at ``text[start]``; None if the first object is not call-shaped."""
    end = len(text) if end is None else end
    body = text[:end]
    if body.startswith("[", start):
        return _from_list(text, start, end)
    calls: list[ToolCall] = []
    i = start
    while True:
        obj, after = decode_at(body, i)
        call = call_from_object(obj, text, i)
        if call is None:
            if calls or skip_ws(body, after) < end:
                raise fail("expected a tool call object", text, i, _HINT)
            return None
        calls.append(call)
        i = skip_ws(body, after, ";,")
        if i >= end:
            return calls
        if body[i] != "{":
            raise fail("unexpected text after the tool call", text, i, "Reply with only the call.")


def parse_function_tags(text: str, start: int, end: int) -> tuple[str | None, list[ToolCall]]:
    """``text-before <function=f>{...}</function>...``: returns (content before, calls)."""
    body = text[:end]
    match = FUNCTION_TAG.search(body, start)
    assert match is not None
    content = body[start : match.start()].strip() or None
    calls = []
    while match:
        name = match.group(1)
        if not name:
            raise fail("<function=...> has no tool name", text, match.start(), _TAG_HINT)
        i = skip_ws(body, match.end())
        if not body.startswith("{", i):
            raise fail(f"expected a JSON object after <function={name}>", text, i, _TAG_HINT)
        args, i = decode_at(body, i, _TAG_HINT)
        calls.append(ToolCall(name=name, arguments=_arguments(args, name, text, i)))
        i = skip_ws(body, i)
        if body.startswith("</function>", i):
            i = skip_ws(body, i + len("</function>"))
        elif i < end:
            raise fail(f"expected </function> after the arguments of {name!r}", text, i, _TAG_HINT)
        if i >= end:
            break
        match = FUNCTION_TAG.match(body, i)
        if match is None:
            raise fail("unexpected text after </function>", text, i, "Reply with only the calls.")
    return content, calls
