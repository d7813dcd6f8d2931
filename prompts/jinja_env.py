"""The Jinja2 environment chat templates expect (the one Hugging Face and llama.cpp provide).

Chat templates call ``raise_exception(msg)`` and ``strftime_now(fmt)`` and use ``tojson`` with
Hugging Face's meaning: ``json.dumps`` with non-ASCII kept, keys in their given order and no HTML
escaping (Jinja2's own ``tojson`` sorts keys and escapes ``<``, ``>``, ``&``, ``'``). Templates run
sandboxed: a GGUF file's template is third-party code.

Example::

    >>> environment().from_string("{{ {'b': 1, 'a': '<'} | tojson }}").render()
    '{"b": 1, "a": "<"}'
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from corral.exceptions import RenderError

__all__ = ["environment", "load_template", "tojson", "strftime_now"]


def tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    """Hugging Face's ``tojson`` filter."""
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt: str) -> str:
    """Today's local date/time formatted with ``fmt`` (templates use it for 'Today Date')."""
    return datetime.now().strftime(fmt)


def _raise_exception(message: str) -> None:
    raise RenderError(f"the chat template refused these messages: {message}")


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """A sandboxed environment configured like transformers' ``apply_chat_template``."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


@cache
def load_template(name: str) -> Template:
    """One of corral's own templates from ``corral.prompts.templates`` (package data)."""
    source = files("corral.prompts.templates").joinpath(name).read_text(encoding="utf-8")
    return environment().from_string(source)
