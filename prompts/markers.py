"""Keep content from becoming control tokens: forged turn markers are broken at render time.

Backends tokenize the rendered prompt with special tokens parsed (llama-cpp-python does, and so
does any server behind ``/v1/completions``), so text such as ``<|eot_id|><|start_header_id|>system``
inside a user message, a tool result or an earlier answer would become real turn markers: a
forged turn. The formats therefore pass every piece of content (and tool descriptions, and call
arguments) through :func:`neutralise`, which puts a zero-width space (U+200B) after the first
character of each marker. The model still reads the same characters; the tokenizer no longer
finds the special token. Only the template's own markers stay special. Text without markers is
returned unchanged (the same object), so normal prompts stay byte- and token-exact.

Marker shapes: anything like ``<|name|>`` (every Llama 3 and ChatML special token), plus a
format's own literal tokens (a GGUF's control tokens, BOS/EOS) through :class:`Markers`.

Example::

    >>> neutralise("hi<|eot_id|>") == "hi<\\u200b|eot_id|>"
    True
    >>> neutralise("plain text")
    'plain text'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["neutralise", "Markers", "BREAK"]

BREAK = "\u200b"  # zero-width space: no tokenizer's special token contains it
_PIPE_MARKER = re.compile(r"<\|[^|<>\s]{1,64}\|>")


def _break(match: re.Match[str]) -> str:
    token = match.group()
    return token[0] + BREAK + token[1:]


def neutralise(text: str) -> str:
    """``text`` with every ``<|name|>`` marker broken so that it tokenizes as plain text."""
    if "<" not in text or "<|" not in text:  # the hot path: a one-character scan is memchr-fast
        return text
    return _PIPE_MARKER.sub(_break, text)


class Markers:
    """A format's own special-token texts (e.g. ``<s>``, ``</s>``, ``[INST]``), broken in content
    like ``<|name|>`` ones.

    Example::

        >>> Markers(["</s>"]).neutralise("a</s>b") == "a<\\u200b/s>b"
        True
    """

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        # Only multi-character tokens can be broken (and a one-character token would be a normal letter).
        literal = sorted(
            {t for t in tokens if len(t) > 1 and BREAK not in t and not _PIPE_MARKER.fullmatch(t)},
            key=len,
            reverse=True,
        )
        self._pattern = re.compile("|".join(map(re.escape, literal))) if literal else None
        self._firsts = tuple({t[0] for t in literal})  # one-character scans are the fast ones

    def neutralise(self, text: str) -> str:
        """``text`` with this format's markers and every ``<|name|>`` marker broken."""
        text = neutralise(text)
        if self._pattern is None or not any(f in text for f in self._firsts):
            return text
        # Breaking one marker cannot form another, except where two overlapped: repeat until none is left.
        while self._pattern.search(text):
            text = self._pattern.sub(_break, text)
        return text
