"""What a tool call produced: the raw value, the text the model sees, or a typed error.

Serialization is deterministic so that the same result always renders to the same prompt text
(which keeps the model's KV cache warm and transcripts comparable):

* ``str`` is passed through unchanged;
* everything else (pydantic models, dataclasses, dicts, lists, tuples, sets, numbers, ``None``,
  enums, dates, paths) becomes compact JSON: no spaces, **keys sorted**, non-ASCII kept as is,
  sets sorted; an object JSON cannot express falls back to ``str(obj)``;
* text longer than ``max_chars`` is cut and ends with an explicit marker saying how much was
  dropped, and the result including the marker fits in ``max_chars``.

Example::

    >>> serialize_result({"b": 1, "a": [1, 2]}, max_chars=100)
    '{"a":[1,2],"b":1}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_core import to_jsonable_python

__all__ = ["ToolError", "ToolResult", "ErrorKind", "serialize_result", "DEFAULT_MAX_RESULT_CHARS"]

ErrorKind = Literal["unknown_tool", "invalid_arguments", "timeout", "exception", "retry"]
DEFAULT_MAX_RESULT_CHARS = 16_000


@dataclass(frozen=True, kw_only=True)
class ToolError:
    """Why a call produced no value; ``message`` is written for the model to act on.

    Example::

        >>> ToolError(kind="unknown_tool", message="Unknown tool 'serch'. Available tools: search.").kind
        'unknown_tool'
    """

    kind: ErrorKind
    message: str


@dataclass(frozen=True, kw_only=True)
class ToolResult:
    """The outcome of one call, in the order the calls were made.

    ``output`` is the tool's raw Python value (``None`` on error); ``content`` is what the model
    sees (serialized and size-capped, or the error message).

    Example::

        >>> r = ToolResult(call_id="1", name="add", arguments={"a": 1}, output=2, content="2")
        >>> r.is_error
        False
    """

    call_id: str | None
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    output: Any = None
    content: str = ""
    error: ToolError | None = None
    duration: float = 0.0

    @property
    def is_error(self) -> bool:
        """True when the call failed (``error`` is set)."""
        return self.error is not None


_JSON_WORDS = {None: "null", True: "true", False: "false"}


def _sort_sets(value: Any) -> Any:
    # Set iteration order depends on hash seeds: sort to stay deterministic across processes.
    if isinstance(value, (set, frozenset)):
        items = [_sort_sets(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(to_jsonable_python(v, fallback=str), sort_keys=True))
    if isinstance(value, dict):
        return {k: _sort_sets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sort_sets(v) for v in value]
    return value


def _to_json(value: Any) -> str:
    plain = to_jsonable_python(_sort_sets(value), fallback=str)
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def truncate(text: str, max_chars: int) -> str:
    """Cut ``text`` to at most ``max_chars`` characters, ending with an explicit truncation marker.

    (If ``max_chars`` is smaller than the marker itself, the marker alone is returned.)
    """
    if len(text) <= max_chars:
        return text
    marker = "\n[... truncated: showing {kept} of " + str(len(text)) + " characters]"
    # Size the marker for the largest possible count so the total never exceeds max_chars.
    kept = max(0, max_chars - len(marker.format(kept=max_chars)))
    return text[:kept] + marker.format(kept=kept)


def serialize_result(value: Any, max_chars: int = DEFAULT_MAX_RESULT_CHARS) -> str:
    """Render a tool's return value for the model: deterministic, compact, size-capped.

    Example::

        >>> serialize_result([3, 1], max_chars=100)
        '[3,1]'
    """
    if isinstance(value, str):
        text = value
    elif type(value) is int:  # exactly int (an IntEnum still goes through pydantic)
        text = repr(value)  # as JSON writes it, without the pydantic pass and the sorting encoder
    elif value is None or type(value) is bool:
        text = _JSON_WORDS[value]
    else:
        text = _to_json(value)
    return truncate(text, max_chars)
