"""Pieces the rule patterns are written with (corral.guards.rules, corral.guards.other_languages).

Bounded gaps keep the patterns linear, and no gap crosses a line break: an instruction is one line.
"""

from __future__ import annotations

__all__ = ["GAP", "phrase", "skip"]

GAP = r"[^\w\n]+"  # between two words: anything but a word character or a line break


def phrase(*alternatives: str) -> str:
    """An alternation of phrases, each phrase's spaces matching any run of non-word characters."""
    return "(?:" + "|".join(a.replace(" ", GAP) for a in alternatives) + ")"


def skip(n: int) -> str:
    """Up to ``n`` words, as few as will do."""
    return rf"(?:\w+{GAP}){{0,{n}}}?"
