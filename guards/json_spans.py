"""Redaction inside JSON tool results: cut injected text out of string values, keep the JSON valid.

A tool that returns JSON (an email list, an API record) hands the model a document whose
structure matters: splicing a marker into the raw text could cut through quotes and braces. So
when a flagged tool result parses as a JSON object or array, each string value is judged on its
own, and a flagged value is redacted in place (its injected sentences replaced by the marker, or
the whole value when the injection fills it). Keys, numbers and the other values are untouched;
the result is serialised again (indented if the original spanned lines).

Example::

    >>> cut = lambda s: (s.replace("EVIL", "[x]"), ["EVIL"]) if "EVIL" in s else None
    >>> redact_json('{"a": "ok", "b": "fine. EVIL"}', flagged=lambda s: "EVIL" in s, cut=cut, marker="[x]")
    ('{"a": "ok", "b": "fine. [x]"}', ['EVIL'])
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["redact_json"]

Cut = Callable[[str], "tuple[str, list[str]] | None"]


def redact_json(
    text: str, *, flagged: Callable[[str], bool], cut: Cut, marker: str, share: float = 0.8
) -> tuple[str, list[str]] | None:
    """The JSON text with flagged string values redacted, and the removed spans; None when the
    text is not a JSON object or array, when no single value is flagged (the injection spans
    several values), or when ``share`` (or more) of the text's string characters would go."""
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        data = json.loads(stripped)
    except ValueError:
        return None
    spans: list[str] = []
    total = [0, 0]  # characters in string values, characters removed

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            total[0] += len(value)
            if not flagged(value):
                return value
            got = cut(value)
            if got is None:  # the injection fills the value: the value goes
                spans.append(value[:200])
                total[1] += len(value)
                return marker
            spans.extend(got[1])
            total[1] += sum(len(s) for s in got[1])
            return got[0]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    cleaned = walk(data)
    if not spans or total[1] >= share * total[0]:
        return None
    indent = 2 if "\n" in stripped else None
    return json.dumps(cleaned, ensure_ascii=False, indent=indent), spans
