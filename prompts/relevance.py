"""A model-free lexical relevance prior between a user's question and each offered tool.

A small model's scores for "call tool *t*" carry a per-prompt bias (long tool lists, question
phrasing) that a fixed margin cannot remove. The words of the question and of the tool's name,
description and parameters are a cheap, independent signal: :func:`relevance` is a BM25-style
overlap where a word's weight is its IDF over the *offered* tools (a word every tool shares says
nothing about which one fits) plus a floor (a word shared with the only tool still counts).

Words are lower-cased, split on ``_ . -`` and camelCase, and stemmed lightly (plural and common
suffixes, and a final e), so ``getWeatherForecast`` matches "weather forecasts".

Example::

    >>> tools = [{"name": "get_weather", "description": "Current weather for a city.",
    ...           "parameters": {"properties": {"city": {"type": "string"}}}},
    ...          {"name": "convert_currency", "description": "Convert money.", "parameters": {}}]
    >>> scores = relevance("What is the weather in Paris?", tools)
    >>> scores["get_weather"] > scores["convert_currency"] == 0.0
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["words", "relevance", "coverage"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about which tool fits (question and schema boilerplate).
_STOP = frozenset(
    "a an and are as at be by can could do does for from get give has have how i in is it its me my "
    "of on or please s set should the their them then there these this to use using value was what "
    "when where which who will with would you your default type string integer number float boolean "
    "dict list array object optional required parameter parameters function returns return if not "
    "any all one two specified given provided".split()
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ed", "es", "ly", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    # "calculates" loses "es", "calculate" keeps its "e": without this they never matched
    # (nor "time"/"times", "price"/"prices", "based"/"base").
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def words(text: str) -> set[str]:
    """The stemmed content words of ``text`` (camelCase and ``_ . -`` split, stop words dropped).

    Example::

        >>> sorted(words("getWeatherForecasts for the city_name"))
        ['city', 'forecast', 'nam', 'weather']
        >>> words("calculate the times") == words("calculates a time")
        True
    """
    spaced = _CAMEL.sub(" ", text).lower()
    return {_stem(w) for w in _WORD.findall(spaced) if w not in _STOP and len(w) > 1 and not w.isdigit()}


def _tool_text(function: Mapping[str, Any]) -> Iterable[str]:
    yield str(function.get("name", "")).replace(".", " ")
    yield str(function.get("description", ""))
    properties = (function.get("parameters") or {}).get("properties") or {}
    for name, schema in properties.items():
        yield str(name)
        if isinstance(schema, Mapping):
            yield str(schema.get("description", ""))


def _weights(
    question: str, functions: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, float], dict[str, set[str]], float]:
    asked = words(question)
    bags = {str(f.get("name", "")): words(" ".join(_tool_text(f))) for f in functions}
    n = max(1, len(bags))
    weight = {w: math.log(1.0 + n / max(1, sum(w in bag for bag in bags.values()))) for w in asked}
    floor = math.log(1.0 + n)  # an unknown word weighs as much as the rarest tool word
    total = sum(weight[w] if any(w in bag for bag in bags.values()) else floor for w in asked)
    return weight, bags, total


def relevance(question: str, functions: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Per tool name: the IDF-weighted share of the question's content words the tool mentions (0..1).

    IDF is ``log(1 + N / df)`` over the N offered tools, so words shared by all tools weigh least.
    """
    weight, bags, total = _weights(question, functions)
    if not total:
        return {name: 0.0 for name in bags}
    return {name: sum(weight[w] for w in weight.keys() & bag) / total for name, bag in bags.items()}


def coverage(question: str, functions: Sequence[Mapping[str, Any]]) -> float:
    """The IDF-weighted share of the question's content words that *some* offered tool mentions (0..1).

    A request for several tools spreads its words over them; this is what decides "call or not".

    Example::

        >>> a = {"name": "get_weather", "description": "Weather for a city."}
        >>> b = {"name": "get_time", "description": "Local time in a city."}
        >>> coverage("weather and local time", [a, b]) > max(relevance("weather and local time", [a, b]).values())
        True
    """
    weight, bags, total = _weights(question, functions)
    if not total:
        return 0.0
    return sum(v for w, v in weight.items() if any(w in bag for bag in bags.values())) / total
