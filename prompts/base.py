"""``ChatFormat``: one model family's prompt layout, call syntax, stop tokens and grammars.

Subclasses implement :meth:`ChatFormat.render`; parsing, call encoding and grammars follow from
the format's call ``flavor`` (``pythonic`` or ``json``).

Example::

    >>> fmt = get_format("llama3.2")                      # doctest: +SKIP
    >>> fmt.parse("[ping()]").tool_calls[0].name          # doctest: +SKIP
    'ping'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Any

from .encode import encode_calls
from .grammar import build_grammar, call_prefix, choice_grammar, tool_grammar
from .messages import AssistantTurn, Message, ToolCall, to_messages
from .parsing import parse
from .specs import tool_specs
from .stream import StreamParser

__all__ = ["ChatFormat", "date_text", "split_system"]

MessagesLike = Iterable[Any]  # Messages or OpenAI-style dicts


def date_text(date: Any, fmt: str) -> str:
    """The 'Today Date' text: a given string as is, a date formatted with ``fmt``, else today."""
    if isinstance(date, str):
        return date
    if date is None:
        date = _dt.date.today()
    return date.strftime(fmt)


class ChatFormat:
    """A chat format: messages + tools -> prompt text; model text -> AssistantTurn; grammars.

    Attributes: ``name``, ``flavor`` (call syntax the format renders and its grammars enforce),
    ``stop_tokens`` (strings that end the model's turn), ``parallel_calls`` (several calls per
    turn allowed). Get one with :func:`corral.prompts.get_format`.

    Example::

        >>> from corral.prompts import ToolCall, get_format
        >>> fmt = get_format("llama3.2-json")
        >>> fmt.encode_calls([ToolCall(name="f", arguments={"a": 1})])
        '{"name": "f", "parameters": {"a": 1}}'
    """

    name: str = ""
    flavor: str = "json"
    stop_tokens: tuple[str, ...] = ("<|eot_id|>", "<|eom_id|>")
    parallel_calls: bool = True
    # The text add_generation_prompt=True appends; None when the format cannot say (no incremental rendering).
    generation_prompt: str | None = None

    def render(
        self, messages: MessagesLike, tools: Any = None, *, add_generation_prompt: bool = True, date: Any = None
    ) -> str:
        """The exact prompt text for ``messages`` (and ``tools``)."""
        raise NotImplementedError

    def head_size(self, messages: Sequence[Message], tools: Any = None) -> int | None:
        """How many leading ``messages`` the fixed head of the prompt holds (system block, tools),
        or None when the format is not append-only message by message (then render in full).

        For an append-only format, ``render(messages)`` equals ``render(messages[:n],
        add_generation_prompt=False) + render_turns(messages[n:]) + generation_prompt`` for
        ``n = head_size(messages, tools)``; :class:`corral.prompts.PromptBuilder` relies on it.
        """
        return None

    def render_turns(self, messages: Sequence[Message]) -> str:
        """The text of ``messages`` (Message models) as they appear after the head."""
        raise NotImplementedError(f"{type(self).__name__} does not render incrementally")

    def parse(self, text: str) -> AssistantTurn:
        """Parse model text (every call syntax is recognised; see :func:`corral.prompts.parse`)."""
        return parse(text)

    def stream_parser(self) -> StreamParser:
        """A fresh :class:`StreamParser` for one streamed turn."""
        return StreamParser()

    def encode_calls(self, calls: Sequence[ToolCall]) -> str:
        """The canonical model text for ``calls`` in this format (what its grammar produces)."""
        return encode_calls(calls, self.flavor)

    def grammar(self, tools: Any) -> str:
        """GBNF: plain text, or well-formed calls to ``tools`` with schema-shaped arguments."""
        return build_grammar(tool_specs(tools), flavor=self.flavor, parallel=self.parallel_calls)

    def call_grammar(self, tools: Any) -> str:
        """GBNF for calls only (no text answer)."""
        return build_grammar(tool_specs(tools), flavor=self.flavor, text=False, parallel=self.parallel_calls)

    def choice_grammar(self, tools: Any) -> str:
        """GBNF for text, or the opening of one call (``call_prefix``): step one of two-step decoding."""
        return choice_grammar(tool_specs(tools), flavor=self.flavor)

    def call_prefix(self, name: str) -> str:
        """The text that opens a call of ``name`` (e.g. ``[name(`` or ``{"name": "name", "parameters": ``)."""
        return call_prefix(name, flavor=self.flavor)

    def grammar_for_tool(self, tool: Any) -> str:
        """GBNF for what follows ``call_prefix(tool's name)``: the arguments and the closer."""
        return tool_grammar(tool_specs([tool])[0], flavor=self.flavor)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def split_system(messages: MessagesLike) -> tuple[str, list[Message]]:
    """(trimmed first system message or "", the remaining messages)."""
    msgs = to_messages(messages)
    if msgs and msgs[0].role == "system":
        return msgs[0].text.strip(), msgs[1:]
    return "", msgs
