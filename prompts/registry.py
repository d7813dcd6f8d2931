"""Formats by name, and the one-call ``render`` most users need.

Example::

    >>> get_format("llama3.2").name
    'llama3.2'
    >>> render([{"role": "user", "content": "Hi"}], format="llama3", add_generation_prompt=False)
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\nHi<|eot_id|>'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from corral.exceptions import UnknownFormatError, UsageError

from .base import ChatFormat
from .formats import Llama3, Llama3Json, Llama32
from .jinja_format import JinjaFormat

__all__ = ["get_format", "render", "FORMAT_NAMES"]


def _jinja(*, gguf: str | Path | None = None, template: str | None = None, **options: Any) -> JinjaFormat:
    if (gguf is None) == (template is None):
        raise UsageError("the jinja format needs exactly one of gguf=<path to a .gguf> or template=<jinja source>")
    return JinjaFormat.from_gguf(gguf, **options) if gguf is not None else JinjaFormat(template, **options)


_FACTORIES: dict[str, Callable[..., ChatFormat]] = {
    "llama3.2": Llama32,
    "llama3.2-json": lambda **o: Llama3Json(version="3.2", **o),
    "llama3.1": lambda **o: Llama3Json(version="3.1", **o),
    "llama3": Llama3,
    "jinja": _jinja,
}
FORMAT_NAMES = tuple(_FACTORIES)


@cache
def _default(name: str) -> ChatFormat:
    return _FACTORIES[name]()


def get_format(name: str | ChatFormat, **options: Any) -> ChatFormat:
    """The chat format called ``name`` (``llama3.2``, ``llama3.2-json``, ``llama3.1``, ``llama3``,
    ``jinja``), configured by ``options``. A ChatFormat passes through unchanged.

    Example::

        >>> get_format("llama3.2-json", tools_in_user_message=False).tools_in_user_message
        False
    """
    if isinstance(name, ChatFormat):
        if options:
            raise UsageError("options apply to a format name, not to a ready ChatFormat")
        return name
    if name not in _FACTORIES:
        raise UnknownFormatError(f"no chat format named {name!r}; choose one of {', '.join(FORMAT_NAMES)}")
    if name == "jinja" and not options:
        raise UsageError("the jinja format needs gguf=<path to a .gguf> or template=<jinja source>")
    try:
        return _FACTORIES[name](**options) if options else _default(name)
    except TypeError as exc:  # an option the format does not take
        raise UsageError(f"bad option for chat format {name!r}: {exc}") from exc


def render(
    messages: Iterable[Any],
    tools: Any = None,
    *,
    format: str | ChatFormat = "llama3.2",
    add_generation_prompt: bool = True,
    date: Any = None,
) -> str:
    """The exact prompt text for a conversation in a chat format.

    ``messages``: OpenAI-style dicts (``role``, ``content``, ``tool_calls``, ``tool_call_id``;
    role ``tool`` or ``ipython``) or :class:`Message` models. ``tools``: OpenAI-style tool dicts,
    bare function dicts, or objects with ``to_openai()``. ``date``: the 'Today Date' (a
    ``datetime.date`` or finished text; default today). Rendering is append-only: the prompt of
    ``history + new`` starts with ``render(history, add_generation_prompt=False)``.

    Example::

        >>> render([{"role": "user", "content": "Hi"}], date="1 Jan 2025").endswith("assistant<|end_header_id|>\\n\\n")
        True
    """
    fmt = get_format(format)
    return fmt.render(messages, tools, add_generation_prompt=add_generation_prompt, date=date)
