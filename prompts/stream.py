"""Streaming parse: feed model text as it arrives, get each tool call once it is complete.

A call is emitted only when no later text can change it: a pythonic call once its ``)`` closes
at the list's top level, a JSON call once its object closes, a ``<function=...>`` call at its
``</function>``. Built-in ``x.call(...)`` and code after ``<|python_tag|>`` are emitted by
:meth:`StreamParser.close` only (more code may follow). ``close()`` returns exactly what
:func:`parse` returns for the whole text (or raises the same ``ToolCallParseError``); a stream
cut mid-call emits nothing for that call and ``close()`` raises.

Example::

    >>> sp = StreamParser()
    >>> sp.feed('[f(a=1), g(b=')
    [ToolCall(name='f', arguments={'a': 1}, id=None)]
    >>> sp.feed('"x")]')
    [ToolCall(name='g', arguments={'b': 'x'}, id=None)]
    >>> len(sp.close().tool_calls)
    2
"""

from __future__ import annotations

from corral.exceptions import ToolCallParseError

from .encode import PYTHON_TAG
from .jsoncalls import FUNCTION_TAG, JSON_START, parse_function_tags, parse_json_calls
from .messages import AssistantTurn, ToolCall
from .parsing import _FENCE, SYNTAXES, parse, split_stop
from .pythonic import PYTHONIC_START, parse_call_list
from .scan import group_ends, skip_ws

__all__ = ["StreamParser"]

_TRIGGERS = frozenset(")}]>|")  # a call can only complete on one of these characters


def _pythonic_done(body: str, i: int) -> list[ToolCall]:
    ends = [j for j, depth in group_ends(body, i) if depth == 1 and body[j - 1] == ")"]
    return parse_call_list(body[: ends[-1]] + "]", i, None) if ends else []


def _json_done(body: str, i: int) -> list[ToolCall]:
    if body.startswith("[", i):
        ends = [j for j, depth in group_ends(body, i, quotes='"') if depth == 1 and body[j - 1] == "}"]
        return (parse_json_calls(body[: ends[-1]] + "]", i, None) or []) if ends else []
    last, j = None, i
    while j < len(body) and body[j] == "{":
        close = next((k for k, depth in group_ends(body, j, quotes='"') if depth == 0), None)
        if close is None:
            break
        last, j = close, skip_ws(body, close, ";,")
    return (parse_json_calls(body[:last], i, None) or []) if last else []


def _tags_done(body: str, i: int) -> list[ToolCall]:
    end = body.rfind("</function>")
    if end < 0 or not FUNCTION_TAG.search(body, i):
        return []
    return parse_function_tags(body, i, end + len("</function>"))[1]


def _allowed(syntax: str, *kinds: str) -> bool:
    return syntax == "auto" or syntax in kinds


def complete_calls(text: str, syntax: str = "auto") -> list[ToolCall]:
    """The calls in a partial text that are already complete (may raise ToolCallParseError)."""
    body, stop = split_stop(text)
    if stop is not None:
        return parse(text, syntax=syntax).tool_calls
    i = skip_ws(body, 0)
    tagged = body.startswith(PYTHON_TAG, i)
    if tagged:
        if syntax == "function_tag":
            return []
        i = skip_ws(body, i + len(PYTHON_TAG))
    elif syntax == "python_tag":
        return []
    fence = None if tagged else _FENCE.match(body, i)
    if fence is not None:
        i = skip_ws(body, fence.end())
        body = body[: body.find("```", i)] if "```" in body[i:] else body
    if _allowed(syntax, "pythonic", "python_tag") and PYTHONIC_START.match(body, i):
        return _pythonic_done(body, i)
    if _allowed(syntax, "json", "python_tag") and JSON_START.match(body, i):
        return _json_done(body, i)
    if not tagged and fence is None and _allowed(syntax, "function_tag"):
        return _tags_done(body, i)
    return []


class StreamParser:
    """Incremental twin of :func:`parse`: ``feed(delta)`` returns newly completed calls.

    Example::

        >>> sp = StreamParser(syntax="json")
        >>> sp.feed('{"name": "f", "param')
        []
        >>> [c.name for c in sp.feed('eters": {}}')]
        ['f']
    """

    def __init__(self, *, syntax: str = "auto") -> None:
        if syntax not in SYNTAXES:
            parse("", syntax=syntax)  # raises the same UnknownFormatError as parse
        self.syntax = syntax
        self.text = ""
        self.emitted: list[ToolCall] = []

    def feed(self, delta: str) -> list[ToolCall]:
        """Add model text; return the calls completed by it (each call is returned once)."""
        self.text += delta
        if not _TRIGGERS.intersection(delta):
            return []
        try:
            done = complete_calls(self.text, self.syntax)
        except ToolCallParseError:
            return []  # malformed so far: close() reports it
        except Exception:  # complete_calls must never break a stream; close() has the final word
            return []
        new = done[len(self.emitted) :]
        self.emitted.extend(new)
        return list(new)

    def close(self) -> AssistantTurn:
        """The whole turn, exactly as ``parse(all_text)``; raises ToolCallParseError if malformed."""
        return parse(self.text, syntax=self.syntax)
