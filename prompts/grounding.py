"""Optional arguments the conversation gives no ground for are left to the tool's default.

A small model fills optional parameters with values nobody asked for: ``unit="km"`` on a distance
request, ``number_of_players=1000`` for "the top chess players", ``region="Xbox"`` copied from the
platform. The tool would have applied its own default; the invented value changes the answer. After
a call is decoded on the decided path, :func:`ground` drops an optional argument whose value the
conversation does not support:

* a string none of whose words (two letters or more, past a shared four-letter stem) appears in the
  conversation, or one that repeats the value of an argument written before it or of a required one;
* a number the conversation does not write (by value: "1,250,000", "$2 million", "4%" as 4 or 0.04,
  "three" and "third" as 3);
* from a list, the items it does not support (the argument goes when none is left); in a required
  list, only the items that repeat another argument's value, and never the last one. A list that
  holds every value its items' enum allows is the model choosing "all": it stays.

Booleans, objects and required arguments stay as written. Unlike a bias while decoding, this never
makes a call invalid: only properties the schema does not require, and list items above
``minItems``, are removed.

Example::

    >>> schema = {"type": "object", "required": ["origin"], "properties": {"origin": {"type": "string"},
    ...     "unit": {"type": "string"}, "stops": {"type": "integer"}}}
    >>> ground({"origin": "Paris", "unit": "km", "stops": 2}, schema, "Distance from Paris with 2 stops?")
    {'origin': 'Paris', 'stops': 2}
"""

from __future__ import annotations

import math
import re
from typing import Any

from .values import scaled_numbers

__all__ = ["ground", "NUMBER_WORDS"]

_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_STEM = 4  # a value's word and the conversation's word match when they share this many letters
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
# Numbers written as words ("next three days", "the third floor", "a dozen").
NUMBER_WORDS = {
    **{w: i for i, w in enumerate(_UNITS)},
    **_TENS,
    **{w: i + 1 for i, w in enumerate(_ORDINALS)},
    "dozen": 12,
    "twice": 2,
    "thousand": 1000,
}


def ground(arguments: dict[str, Any], schema: Any, support: str) -> dict[str, Any]:
    """``arguments`` without the optional values ``support`` (the conversation's text) gives no ground for."""
    if not isinstance(schema, dict) or not isinstance(arguments, dict):
        return arguments
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    grounds = _Support(support)
    out: dict[str, Any] = {}
    names = list(arguments)
    for i, (name, value) in enumerate(arguments.items()):
        # A repeat of a value written earlier, or of a required argument's, is the copy.
        others = {
            _key(arguments[k])
            for k in names
            if k != name and isinstance(arguments[k], str) and (k in names[:i] or k in required)
        }
        spec = properties.get(name)
        kept = _kept(value, spec if isinstance(spec, dict) else {}, name in required, grounds, others)
        if kept is not _DROP:
            out[name] = kept
    return out


_DROP = object()


def _kept(value: Any, spec: dict[str, Any], required: bool, support: _Support, others: set[str]) -> Any:
    if isinstance(value, list):
        return _kept_items(value, spec, required, support, others)
    if required or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    if isinstance(value, str):
        return value if support.has_text(value) and _key(value) not in others else _DROP
    return value if support.has_number(value) else _DROP


def _kept_items(items: list[Any], spec: dict[str, Any], required: bool, support: _Support, others: set[str]) -> Any:
    def ok(item: Any) -> bool:
        if isinstance(item, str):
            return _key(item) not in others and (required or support.has_text(item))
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            return required or support.has_number(item)
        return True

    allowed = (spec.get("items") or {}).get("enum") if isinstance(spec.get("items"), dict) else None
    if allowed and len(allowed) > 1 and all(a in items for a in allowed):
        return items  # every value of the enum: the model chose "all"
    kept = [item for item in items if ok(item)]
    least = max(int(spec.get("minItems", 0) or 0), 1 if required else 0)
    if len(kept) < least:
        return items if required else _DROP  # too few would be left: a required list stays whole
    if not kept:
        return _DROP
    return kept


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


class _Support:
    """The conversation's words and numbers, for the two tests."""

    def __init__(self, text: str) -> None:
        low = text.casefold()
        self.text = _key(low)
        self.words = set(_WORD.findall(low))
        self.stems = {w[:_STEM] for w in self.words if len(w) >= _STEM}
        self.numbers: set[float] = set()
        for m in _NUMBER.finditer(low):
            number = float(m.group().replace(",", ""))
            self.numbers |= {number, number / 100}  # "4%" is 4 or 0.04
        self.numbers |= {float(s.whole) for s in scaled_numbers(text)}
        self.numbers |= {float(NUMBER_WORDS[w]) for w in self.words if w in NUMBER_WORDS}

    def has_text(self, value: str) -> bool:
        words = [w for w in _WORD.findall(value.casefold()) if len(w) >= 2]
        if not words:
            return True  # punctuation, a single letter: nothing to test
        return any(w in self.words or (len(w) >= _STEM and w[:_STEM] in self.stems) for w in words)

    def has_number(self, value: float) -> bool:
        return any(math.isclose(value, n, rel_tol=1e-9, abs_tol=1e-9) for n in self.numbers)
