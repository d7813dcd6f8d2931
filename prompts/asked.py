"""Optional arguments the question asks for, which a small model leaves out.

The reverse of :mod:`.grounding`. Asked "the average temperature in Austin for the next 3 days in
Celsius", the 135M model writes ``{"location": "Austin", "days": 3}`` and the tool answers in its
default unit; asked for "two tickets", it books one. :func:`asked_for` names the optional
parameters the call leaves out although the question speaks of them (or writes with a value the
question does not say, where it says another of the parameter's values: "celsius" for "in
Fahrenheit"):

* one of the parameter's values appears in the question as a whole phrase: a value of its
  ``enum`` (or its items' ``enum``), or one its description quotes ("'Celsius' or 'Fahrenheit'"),
  and no written argument already holds that phrase;
* every content word of the parameter's name appears in the question ("num_tickets" -> "tickets",
  "include_human_impact" -> "human", "impact"; "fullName" -> "full", "name" is too generic).
  Words match whole, or by a shared five-letter stem ("ticket" / "tickets").

A number parameter so named takes the number written just before its word ("three tickets" ->
``num_tickets=3``), also over another the model wrote (it writes the description's default).

A boolean parameter the question names that way ("... including human impact", "a direct
flight") is asked to be true, also when the model wrote false, unless a negation comes just
before its words ("without human impact", "no direct flight"): the tiny model picks booleans
almost at random, and the question's own words are better evidence.

A parameter asked for by its values takes the values the question says: a string the one it
says (``"Celsius"``), a list of strings those it says, in its order (``["War"]`` for "key war
events", not every value the enum allows). A parameter asked for by its name alone is written by
the model, within its schema; objects and lists of objects are left out (a question's words are
not their values).

The decided path then writes the call again with those parameters required and fixed where this
says so, and grounding still drops a value the conversation gives no ground for
(:func:`corral.prompts.grounding.ground`), so the rule can only add what the question says.

Example::

    >>> schema = {"type": "object", "required": ["location"], "properties": {
    ...     "location": {"type": "string"}, "days": {"type": "integer"},
    ...     "temp_unit": {"type": "string", "description": "'Celsius' or 'Fahrenheit'."}}}
    >>> asked_for({"location": "Austin"}, schema, "Average temperature in Austin in Celsius?")
    {'temp_unit': {'const': 'Celsius'}}
    >>> asked_for({"location": "Austin"}, schema, "Average temperature in Austin?")
    {}
    >>> flight = {"type": "object", "properties": {"direct_flight": {"type": "boolean"}}}
    >>> asked_for({"direct_flight": False}, flight, "Book a direct flight to Oslo.")
    {'direct_flight': {'const': True}}
    >>> asked_for({}, flight, "Book a flight to Oslo, no direct flight needed.")
    {}
"""

from __future__ import annotations

import re
from typing import Any

from .grammar import _TYPE_ALIASES
from .grounding import NUMBER_WORDS

__all__ = ["asked_for"]

# A number is one word with its separators and a percent sign ("5,000", "2.5", "4%"): "5,000
# tickets" is not 0 tickets, and "4%" may mean 4 or 0.04 (left to the model).
_WORD = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?%?|[a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_QUOTED = re.compile(r"'([^'\n]{1,40})'|\"([^\"\n]{1,40})\"")
_STEM = 5
_NEGATIONS = frozenset("no not without excluding exclude except never skip omit don t dont disable neither nor".split())
# Name words that say nothing about what the user asked for ("num_tickets": "tickets" does).
_GENERIC = frozenset(
    "num number nb n count type kind id ids name names value values val is has use get set the a an of in "
    "on for to by with without flag include includes max min limit opt option options param params "
    "str string int integer bool boolean list array dict obj object".split()
)


def asked_for(arguments: dict[str, Any], schema: Any, question: str) -> dict[str, dict[str, Any] | None]:
    """The optional parameters of ``schema`` that ``question`` asks for and ``arguments`` lack
    (or, for a boolean, writes false): name -> the schema the rewritten call gives it (``{"const":
    ...}``), or None where the model writes the value within the parameter's own schema."""
    if not isinstance(schema, dict) or not isinstance(arguments, dict) or not question:
        return {}
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    required = set(schema.get("required") or ())
    asked = _Question(question)
    out: dict[str, dict[str, Any] | None] = {}
    for name, spec in properties.items():
        if name in required or not isinstance(spec, dict):
            continue
        kind = _kind(spec)
        if kind == "boolean":
            if asked.names(name) and arguments.get(name) is not True and not asked.negated(name):
                out[name] = {"const": True}
            continue
        if kind in ("integer", "number") and asked.names(name):
            count = asked.count_of(name)  # "three tickets", "the next 5 days"
            if count is not None and _fits(count, spec):
                if arguments.get(name) != count:
                    out[name] = {"const": count}
                continue
        if name in arguments and _said(arguments[name], asked):
            continue  # the model's value is the question's own
        others = " " + " ".join(_words(_flat({k: v for k, v in arguments.items() if k != name}))) + " "
        said = [v for v in _options(spec) if asked.says(_phrase(v)) and f" {_phrase(v)} " not in others]
        if name in arguments and not said:
            continue  # written, and the question says none of its values: grounding judges it
        fixed: dict[str, Any] | None = None
        if said and kind == "string":
            fixed = {"const": said[0]} if len(said) == 1 else {"enum": said}
        elif said and kind == "array" and _kind(spec.get("items")) == "string":
            fixed = {"const": sorted(said, key=asked.position)}
        if fixed is not None and not all(_fits(v, spec) for v in fixed.get("enum", [fixed.get("const")])):
            fixed = None  # a quoted example the parameter's own schema refuses: the model writes it
        if said or (asked.names(name) and kind not in ("object", "array-object")):
            out[name] = fixed
    return out


def _said(value: Any, asked: _Question) -> bool:
    """Whether a written value is the question's own: a string it says, a list whose strings it all says."""
    if isinstance(value, str):
        return bool(_phrase(value)) and asked.says(_phrase(value))
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return all(_said(v, asked) for v in value)
    return not isinstance(value, (str, list))  # numbers, objects: not this rule's to judge


def _fits(value: Any, spec: dict[str, Any]) -> bool:
    import jsonschema

    try:
        return bool(jsonschema.Draft202012Validator(spec).is_valid(value))
    except jsonschema.exceptions.UnknownType:  # BFCL's "str": the kind was checked, the enum is the source
        return True
    except (jsonschema.SchemaError, TypeError, ValueError):
        return False


def _kind(spec: Any) -> str:
    """``string``, ``boolean``, ``array``, ``array-object``, ``object`` or another JSON Schema type name."""
    if not isinstance(spec, dict):
        return ""
    kind = spec.get("type")
    if isinstance(kind, list):  # ["string", "null"]: the value's own type
        kind = next((k for k in kind if k not in ("null", "none")), None)
    kind = _TYPE_ALIASES.get(kind.lower(), kind) if isinstance(kind, str) else None  # BFCL's "dict", "float"
    if kind is None and isinstance(spec.get("enum"), list) and all(isinstance(v, str) for v in spec["enum"]):
        return "string"
    if kind == "array" and _kind(spec.get("items")) == "object":
        return "array-object"
    return kind if isinstance(kind, str) else ""


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _phrase(text: str) -> str:
    return " ".join(_words(text))


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_flat(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_flat(v) for v in value)
    return str(value)


def _options(spec: dict[str, Any]) -> list[str]:
    """The parameter's string values: its enum's (or its items' enum's), then those its description
    quotes ("'Celsius' or 'Fahrenheit'"); three letters or more, each phrase once."""
    items = spec.get("items")
    values: list[Any] = list(spec.get("enum") or ()) + list(
        (items.get("enum") if isinstance(items, dict) else ()) or ()
    )
    description = spec.get("description")
    if not values and isinstance(description, str):  # an enum, where there is one, is the whole list
        values = [a or b for a, b in _QUOTED.findall(description)]
    seen: dict[str, str] = {}
    for value in values:
        if isinstance(value, str) and len(_phrase(value).replace(" ", "")) >= 3:
            seen.setdefault(_phrase(value), value)
    return list(seen.values())


class _Question:
    def __init__(self, text: str) -> None:
        self.sequence = _words(text)
        self.phrase = " " + " ".join(self.sequence) + " "
        self.words = set(self.sequence)
        self.stems = {w[:_STEM] for w in self.sequence if len(w) >= _STEM}

    def says(self, phrase: str) -> bool:
        return f" {phrase} " in self.phrase

    def position(self, value: str) -> int:
        return self.phrase.find(f" {_phrase(value)} ")

    def names(self, name: str) -> bool:
        """Every content word of the parameter's name is in the question."""
        content = _content(name)
        return bool(content) and all(self._has(w) for w in content)

    def count_of(self, name: str) -> int | float | None:
        """The number written just before the name's first word ("three tickets", "5 days"), if any."""
        first = _content(name)[0]
        for i, w in enumerate(self.sequence):
            if self._same(w, first) and i:
                before = self.sequence[i - 1].replace(",", "")
                if before.replace(".", "", 1).isdigit():
                    number = float(before)
                elif NUMBER_WORDS.get(before, 1000) < 1000:  # not "thousand": "$5 thousand" is a scale
                    number = float(NUMBER_WORDS[before])
                else:
                    return None
                return int(number) if number.is_integer() else number
        return None

    def negated(self, name: str) -> bool:
        """A negation within three words before the name's first word, where the question says it."""
        first = _content(name)[0]
        return any(
            self._same(w, first) and not _NEGATIONS.isdisjoint(self.sequence[max(0, i - 3) : i])
            for i, w in enumerate(self.sequence)
        )

    def _has(self, word: str) -> bool:
        return word in self.words or (len(word) >= _STEM and word[:_STEM] in self.stems)

    @staticmethod
    def _same(word: str, content: str) -> bool:
        return word == content or (len(word) >= _STEM and len(content) >= _STEM and word[:_STEM] == content[:_STEM])


def _content(name: str) -> list[str]:
    """The words of a parameter's name that say what it is ("include_human_impact" -> human, impact)."""
    return [w for w in _words(_CAMEL.sub(r"\1 \2", name)) if w not in _GENERIC and len(w) >= 3]
