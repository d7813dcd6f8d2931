"""Model text -> AssistantTurn: content, tool calls, and how the turn ended.

``syntax`` picks which call syntaxes are recognised:

- ``pythonic``: ``[f(a=1), g(b="x")]`` (Llama 3.2 reference), optionally after a stray
  ``<|python_tag|>`` or inside a code fence; newlines and indentation inside the list are fine.
- ``json``: ``{"name": ..., "parameters": ...}`` objects (see :mod:`.jsoncalls`), optionally fenced.
- ``function_tag``: ``<function=f>{...}</function>``; text before the first tag is content.
- ``python_tag``: ``<|python_tag|>`` then built-in calls ``brave_search.call(query="x")``, JSON
  or a pythonic list; anything else after the tag is code for ``code_interpreter``.
- ``auto``: all of the above. A call must start the turn (after blanks), except ``<function=``.

A Llama 3.1 built-in call (``brave_search.call(...)``, ``wolfram_alpha.call(...)``) is read
without its ``<|python_tag|>`` too: servers that strip special tokens drop it. A list that opens
like a call but has braces for parentheses (``[f{a=1}]``) is a malformed call, not prose.

Plain text gives no calls. Text that starts like a call but is malformed raises
``ToolCallParseError`` (a ``ValueError``) saying where and why. Nothing else is ever raised for
any text. A trailing ``<|eot_id|>`` / ``<|eom_id|>`` sets ``stop_reason``; text after it is ignored.

Example::

    >>> parse('[get_weather(city="Paris")]<|eot_id|>').tool_calls[0].arguments
    {'city': 'Paris'}
    >>> parse("Hello!").content
    'Hello!'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corral.exceptions import ToolCallParseError, UnknownFormatError

from .encode import PYTHON_TAG
from .jsoncalls import FUNCTION_TAG, JSON_START, parse_function_tags, parse_json_calls
from .messages import AssistantTurn, StopReason, ToolCall
from .pythonic import DOT_CALL_START, NEAR_PYTHONIC, PYTHONIC_START, parse_call_list, parse_dot_calls
from .scan import fail, skip_ws

__all__ = ["parse", "SYNTAXES", "STOP_REASONS", "split_stop"]

SYNTAXES = ("auto", "pythonic", "json", "function_tag", "python_tag")
STOP_REASONS: dict[str, StopReason] = {"<|eot_id|>": "end_of_turn", "<|eom_id|>": "end_of_message"}
_FENCE = re.compile(r"```[\w+.-]*[ \t]*\n?")
_STOP = re.compile("|".join(re.escape(tok) for tok in STOP_REASONS))
# What a turn that starts with a call starts with besides a fence: a list or JSON (the python tag
# is handled first). Only <function=...> may come later, so plain text needs just that one search.
_CALL_OPENERS = frozenset("[{")
# Built-ins with a .call form; code_interpreter's code cannot be told from prose without the tag.
_UNTAGGED_BUILTIN = re.compile(r"(?:brave_search|wolfram_alpha)\.call\s*\(")
_BUILTIN_INITIALS = frozenset("bw")


@dataclass(frozen=True, kw_only=True)
class Found:
    """Calls found in a text, and any content before them."""

    calls: list[ToolCall] = field(default_factory=list)
    content: str | None = None


def split_stop(text: str) -> tuple[str, StopReason | None]:
    """Cut the text at its first stop token; return (body, stop reason)."""
    first = _STOP.search(text)
    if first is None:
        return text, None
    return text[: first.start()], STOP_REASONS[first.group()]


def _allowed(syntax: str, *kinds: str) -> bool:
    return syntax == "auto" or syntax in kinds


def _bare(text: str, i: int, end: int, syntax: str) -> Found | None:
    """A pythonic list or JSON call(s) starting at ``i`` (no tag, no fence)."""
    if _allowed(syntax, "pythonic", "python_tag") and PYTHONIC_START.match(text, i, end):
        return Found(calls=parse_call_list(text, i, end))
    if _allowed(syntax, "pythonic", "python_tag") and NEAR_PYTHONIC.match(text, i, end):
        raise fail(
            "the arguments of a call go in parentheses, not braces",
            text,
            text.index("{", i),
            'Write calls as [name(arg=value, ...)], e.g. [get_weather(city="Paris")].',
        )
    if _allowed(syntax, "json", "python_tag") and JSON_START.match(text, i, end):
        calls = parse_json_calls(text, i, end)
        return None if calls is None else Found(calls=calls)
    return None


def _tagged(text: str, i: int, end: int, syntax: str) -> Found | None:
    """What follows ``<|python_tag|>``: a list, JSON, built-in ``x.call(...)``, or code."""
    found = _bare(text, i, end, syntax)
    if found is not None or not _allowed(syntax, "python_tag"):
        return found
    if DOT_CALL_START.match(text, i, end):
        return Found(calls=parse_dot_calls(text, i, end))
    code = text[i:end].strip()
    return Found(calls=[ToolCall(name="code_interpreter", arguments={"code": code})]) if code else None


def _fenced(text: str, i: int, end: int, syntax: str) -> Found | None:
    fence = _FENCE.match(text, i, end)
    if fence is None:
        return None
    inner = skip_ws(text, fence.end())
    close = text.find("```", inner, end)
    found = _bare(text, inner, end if close < 0 else close, syntax)
    if found is not None and close >= 0 and skip_ws(text, close + 3) < end:
        raise fail(
            "unexpected text after the fenced tool call", text, skip_ws(text, close + 3), "Reply with only the call."
        )
    return found


def find_calls(text: str, end: int, syntax: str) -> Found | None:
    """Detect and parse the calls in ``text[:end]``, or None when it is plain content."""
    i = skip_ws(text, 0)
    if text.startswith(PYTHON_TAG, i):
        if syntax == "function_tag":
            return None
        return _tagged(text, skip_ws(text, i + len(PYTHON_TAG)), end, syntax)
    opener = text[i : i + 1]
    if opener in _BUILTIN_INITIALS and _allowed(syntax, "python_tag") and _UNTAGGED_BUILTIN.match(text, i, end):
        return Found(calls=parse_dot_calls(text, i, end))  # the server dropped <|python_tag|>
    if syntax == "python_tag":
        return None
    found = None
    if opener == "`":
        found = _fenced(text, i, end, syntax)
    elif opener in _CALL_OPENERS:
        found = _bare(text, i, end, syntax)
    if found is None and _allowed(syntax, "function_tag") and FUNCTION_TAG.search(text, i, end):
        content, calls = parse_function_tags(text, i, end)
        found = Found(calls=calls, content=content)
    return found


def _parse(text: str, syntax: str) -> AssistantTurn:
    body, stop = split_stop(text)
    found = find_calls(body, len(body), syntax)
    if found is None:
        return AssistantTurn(content=body.strip() or None, stop_reason=stop)
    return AssistantTurn(content=found.content, tool_calls=found.calls, stop_reason=stop)


def parse(text: str, *, syntax: str = "auto") -> AssistantTurn:
    """Parse one assistant turn of model text into content and tool calls.

    Raises ``ToolCallParseError`` (and nothing else) when the text is a malformed call.

    Example::

        >>> turn = parse('{"name": "f", "parameters": {"a": 1}}', syntax="json")
        >>> (turn.tool_calls[0].name, turn.content)
        ('f', None)
    """
    if syntax not in SYNTAXES:
        raise UnknownFormatError(f"unknown call syntax {syntax!r}; use one of {', '.join(SYNTAXES)}")
    if not isinstance(text, str):
        raise ToolCallParseError(f"expected the model's text (str), got {type(text).__name__}")
    try:
        return _parse(text, syntax)
    except ToolCallParseError:
        raise
    except Exception as exc:  # the contract: malformed input only ever gives ToolCallParseError
        raise ToolCallParseError(f"could not read the tool call: {type(exc).__name__}: {exc}", text=text) from exc
