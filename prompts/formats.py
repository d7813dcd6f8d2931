"""The Llama chat formats: ``llama3.2``, ``llama3.2-json``, ``llama3.1`` and ``llama3``.

- ``llama3.2`` (Meta's llama-models reference for 1B/3B): tools as a JSON list in the system
  prompt, pythonic call lists, results under ``ipython``; 'Today Date' as ``%d %B %Y``.
- ``llama3.2-json`` / ``llama3.1``: byte-for-byte Meta's Hugging Face templates, quirks included:
  tools go into the first user message unless ``tools_in_user_message=False``; the first message
  after the system one is folded into that tools block whatever its role; a tool result is
  written through ``tojson``, so a string result appears in JSON quotes; 'Today Date' is
  ``%d %b %Y``; one call per assistant message (more raise ``RenderError`` unless
  ``parallel_calls=True``, which joins them with ``"; "``). ``tools=[]`` counts as no tools.
  ``llama3.1`` takes ``builtin_tools`` (``brave_search``, ``wolfram_alpha``, ``code_interpreter``):
  calls to them render as ``<|python_tag|>name.call(...)`` and then every call ends ``<|eom_id|>``.
  Two deliberate differences from the 3.1 template: built-in string arguments are JSON-escaped
  (the template breaks on quotes) and ``code_interpreter`` code is written raw after the tag, as
  the model emits it.
- ``llama3`` (Llama 3 Instruct, no native tools): Meta's plain layout, JSON calls prompted in
  the system turn, results under ``ipython``.

Example::

    >>> print(Llama3Json().render([{"role": "user", "content": "Hi"}], date="26 Jul 2024"))
    <|begin_of_text|><|start_header_id|>system<|end_header_id|>
    <BLANKLINE>
    Cutting Knowledge Date: December 2023
    Today Date: 26 Jul 2024
    <BLANKLINE>
    <|eot_id|><|start_header_id|>user<|end_header_id|>
    <BLANKLINE>
    Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>
    <BLANKLINE>
    <BLANKLINE>
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from corral.exceptions import RenderError, UsageError

from .base import ChatFormat, date_text, split_system
from .encode import PYTHON_TAG, encode_calls, json_value
from .jinja_env import load_template
from .markers import neutralise
from .messages import Message
from .specs import function_of, tool_specs

__all__ = ["Llama32", "Llama3Json", "Llama3", "BUILTIN_TOOLS", "BOS", "Turn"]

BOS = "<|begin_of_text|>"
EOT, EOM = "<|eot_id|>", "<|eom_id|>"
BUILTIN_TOOLS = ("brave_search", "wolfram_alpha", "code_interpreter")


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One rendered message: its header role, its text and the token that ends it."""

    role: str
    text: str
    end: str = EOT


GENERATION_PROMPT = "<|start_header_id|>assistant<|end_header_id|>\n\n"


Parts = tuple[str, str, str]  # a Turn's role, text and end, before it is made a Turn


def _turn_text(role: str, text: str, end: str) -> str:
    # Must match the templates' turn loop exactly (the tests compare against full renders).
    return f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}{end}"


class _TurnFormat(ChatFormat):
    """What the Llama formats share: each message after the head is one turn, given by ``_parts``."""

    def _parts(self, m: Message) -> Parts:
        raise NotImplementedError

    def _turns(self, messages: Iterable[Message]) -> list[Turn]:
        """The turns as the templates take them."""
        return [Turn(role=role, text=text, end=end) for role, text, end in map(self._parts, messages)]

    def render_turns(self, messages: Any) -> str:
        """See :meth:`ChatFormat.render_turns`."""
        # Straight from the parts to text: an agent calls this every turn, and building a Turn
        # per message would cost about as much as writing its text.
        return "".join([_turn_text(*self._parts(m)) for m in messages])


def _system_head(messages: Any) -> int:
    return 1 if messages and messages[0].role == "system" else 0


def _dump_tools(specs: list[dict[str, Any]]) -> list[str]:
    return [neutralise(json.dumps(s, ensure_ascii=False, indent=4)) for s in specs]


def _raw(m: Message) -> str:
    """A message's content as prompt text, markers broken (see corral.prompts.markers)."""
    content = m.content
    return neutralise(content if content.__class__ is str else m.text)  # type: ignore[arg-type]


def _text(m: Message) -> str:
    """The same, trimmed."""
    content = m.content
    return neutralise(content.strip() if content.__class__ is str else m.text.strip())  # type: ignore[union-attr]


def _tagged(text: str) -> str:
    """A built-in call: the format's own <|python_tag|>, then the call with markers broken."""
    return PYTHON_TAG + neutralise(text[len(PYTHON_TAG) :])


def _is_result(m: Message) -> bool:
    return m.role in ("tool", "ipython")


class Llama32(_TurnFormat):
    """Meta's Llama 3.2 reference format: pythonic calls ``[f(a=1)]`` (see module docstring).

    Example::

        >>> from corral.prompts import ToolCall
        >>> Llama32().encode_calls([ToolCall(name="f", arguments={"a": 1})])
        '[f(a=1)]'
    """

    name = "llama3.2"
    flavor = "pythonic"
    generation_prompt = GENERATION_PROMPT

    def _parts(self, m: Message) -> Parts:
        if _is_result(m):
            return "ipython", _raw(m), EOT
        if m.role == "assistant" and m.tool_calls:
            return "assistant", neutralise(self.encode_calls(m.tool_calls)), EOT
        return m.role, _text(m), EOT

    def render(
        self, messages: Iterable[Any], tools: Any = None, *, add_generation_prompt: bool = True, date: Any = None
    ) -> str:
        """The prompt text (see :meth:`ChatFormat.render`)."""
        system, rest = split_system(messages)
        specs = tool_specs(tools)
        listing = json.dumps([function_of(s) for s in specs], ensure_ascii=False, indent=4) if specs else ""
        return load_template("llama3_2.jinja").render(
            bos=BOS,
            tools=neutralise(listing),
            date=date_text(date, "%d %B %Y"),
            system=neutralise(system),
            turns=self._turns(rest),
            add_generation_prompt=add_generation_prompt,
        )

    def head_size(self, messages: Any, tools: Any = None) -> int | None:
        """The system message, if first (see :meth:`ChatFormat.head_size`)."""
        return _system_head(messages)


class Llama3Json(_TurnFormat):
    """Meta's Hugging Face template for Llama 3.2 (and, with ``version="3.1"``, Llama 3.1).

    Example::

        >>> Llama3Json(tools_in_user_message=False).name
        'llama3.2-json'
    """

    def __init__(
        self,
        *,
        version: str = "3.2",
        tools_in_user_message: bool = True,
        builtin_tools: Iterable[str] | None = None,
        parallel_calls: bool = False,
    ) -> None:
        if version not in ("3.1", "3.2"):
            raise UsageError(f"Llama3Json version must be '3.1' or '3.2', not {version!r}")
        if builtin_tools is not None and version != "3.1":
            raise UsageError("builtin_tools exist in the llama3.1 format only (Meta's 3.2 template has none)")
        self.name = "llama3.1" if version == "3.1" else "llama3.2-json"
        self.generation_prompt = GENERATION_PROMPT
        self.tools_in_user_message = tools_in_user_message
        self.builtin_tools = None if builtin_tools is None else tuple(builtin_tools)
        self.parallel_calls = parallel_calls

    def _call_parts(self, m: Message) -> Parts:
        if len(m.tool_calls) > 1 and not self.parallel_calls:
            raise RenderError(
                f"{self.name} (Meta's template) allows one tool call per assistant message, got "
                f"{len(m.tool_calls)}; use get_format({self.name!r}, parallel_calls=True) to join them"
            )
        builtins = self.builtin_tools or ()
        texts = [
            _tagged(encode_calls([c], "python_tag")) if c.name in builtins else neutralise(encode_calls([c], "json"))
            for c in m.tool_calls
        ]
        end = EOM if self.builtin_tools is not None else EOT
        return "assistant", "; ".join(texts), end

    def _parts(self, m: Message) -> Parts:
        if _is_result(m):  # the template's tojson quirk: a string result is written JSON-quoted
            return "ipython", neutralise(json_value("" if m.content is None else m.content)), EOT
        if m.role == "assistant" and m.tool_calls:
            return self._call_parts(m)
        return m.role, _text(m), EOT

    def render(
        self, messages: Iterable[Any], tools: Any = None, *, add_generation_prompt: bool = True, date: Any = None
    ) -> str:
        """The prompt text (see :meth:`ChatFormat.render`)."""
        system, rest = split_system(messages)
        specs = tool_specs(tools)
        first_user = ""
        if specs and self.tools_in_user_message:
            if not rest:
                raise RenderError(
                    f"{self.name} puts the tools into the first user message, but there "
                    "is none; add a user message or use tools_in_user_message=False"
                )
            first_user, rest = _text(rest[0]), rest[1:]
        builtins = self.builtin_tools
        names = None if builtins is None else ", ".join(t for t in builtins if t != "code_interpreter")
        return load_template("llama3_json.jinja").render(
            bos=BOS,
            environment=bool(specs) or builtins is not None,
            builtin_names=names,
            date=date_text(date, "%d %b %Y"),
            tools=_dump_tools(specs),
            tools_in_user=self.tools_in_user_message,
            system=neutralise(system),
            first_user=first_user,
            turns=self._turns(rest),
            add_generation_prompt=add_generation_prompt,
        )

    def head_size(self, messages: Any, tools: Any = None) -> int | None:
        """The system message, and the first message after it when the tools are folded into it."""
        n = _system_head(messages)
        return n + 1 if self.tools_in_user_message and tool_specs(tools) else n


class Llama3(_TurnFormat):
    """Llama 3 Instruct: no native tool format, so JSON calls are prompted in the system turn.

    Example::

        >>> Llama3().stop_tokens
        ('<|eot_id|>',)
    """

    name = "llama3"
    stop_tokens = (EOT,)
    generation_prompt = GENERATION_PROMPT

    def __init__(self, *, parallel_calls: bool = False) -> None:
        self.parallel_calls = parallel_calls

    def _parts(self, m: Message) -> Parts:
        if _is_result(m):
            return "ipython", _text(m), EOT
        if m.role == "assistant" and m.tool_calls:
            return "assistant", neutralise(self.encode_calls(m.tool_calls)), EOT
        return m.role, _text(m), EOT

    def render(
        self, messages: Iterable[Any], tools: Any = None, *, add_generation_prompt: bool = True, date: Any = None
    ) -> str:
        """The prompt text (``date`` is unused: Llama 3 has no date line)."""
        system, rest = split_system(messages)
        specs = tool_specs(tools)
        instructions = json_tool_instructions(specs, parallel=self.parallel_calls)
        return load_template("llama3.jinja").render(
            bos=BOS,
            tools=bool(specs),
            tool_instructions=instructions,
            system=neutralise(system),
            turns=self._turns(rest),
            add_generation_prompt=add_generation_prompt,
        )

    def head_size(self, messages: Any, tools: Any = None) -> int | None:
        """The system message, if first (see :meth:`ChatFormat.head_size`)."""
        return _system_head(messages)


def json_tool_instructions(specs: list[dict[str, Any]], *, parallel: bool) -> str:
    """corral's JSON tool-call instructions plus the tools, for formats without native tools."""
    if not specs:
        return ""
    # One compact line per tool: small models have small context windows.
    listing = [neutralise(json.dumps(function_of(s), ensure_ascii=False)) for s in specs]
    return load_template("json_tools.jinja").render(tools=listing, parallel=parallel)
