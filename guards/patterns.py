"""Pieces the rule patterns are written with (corral.guards.rules, corral.guards.other_languages).

Bounded gaps keep the patterns linear, and no gap crosses a line break: an instruction is one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["GAP", "ALL_OF", "FirstMatch", "phrase", "skip"]

GAP = r"[^\w\n]+"  # between two words: anything but a word character or a line break
ALL_OF = r"(?:all" + GAP + r"(?:of" + GAP + r")?)?"  # "all" or "all of" before an object, or nothing
# Words after an instruction noun that make it the model's own: "the rules you were given".
GIVEN_TO_YOU = ("you were given", "you have been given", "you've been given", "you got", "you received", "given to you")


def phrase(*alternatives: str) -> str:
    """An alternation of phrases, each phrase's spaces matching any run of non-word characters."""
    return "(?:" + "|".join(a.replace(" ", GAP) for a in alternatives) + ")"


def skip(n: int) -> str:
    """Up to ``n`` words, as few as will do."""
    return rf"(?:\w+{GAP}){{0,{n}}}?"


class FirstMatch:
    """A rule that finds its first match by its own search (around rare words, or two parts near
    each other) where one regex would be slow or could not say it; ``finditer`` yields that match
    only, which is all ``corral.guards.rules.rule_hit`` asks of such a rule."""

    def search(self, low: str) -> re.Match[str] | None:
        raise NotImplementedError

    def finditer(self, low: str) -> Iterator[re.Match[str]]:
        m = self.search(low)
        return iter([m] if m else [])
