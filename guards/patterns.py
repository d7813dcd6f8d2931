"""Pieces the rule patterns are written with (corral.guards.rules, corral.guards.other_languages),
and the way they are searched (``Anchored``: only where a match can open).

Bounded gaps keep the patterns linear, and no gap crosses a line break: an instruction is one line.

Example::

    >>> rule = anchored(re.compile(r"\\b(?:ignore|disregard)\\s+previous"))
    >>> rule.openings
    (('disregar', True), ('ignore', True))
    >>> [m.group() for m in rule.finditer("xignore previous; ignore previous")]
    ['ignore previous']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TypeAlias

try:  # the regex parser the re module compiles with; private, so anchoring falls back without it
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    try:
        import sre_constants as _sre
        import sre_parse as _sre_parse
    except ImportError:  # a Python without either: every pattern is searched as it is
        _sre = _sre_parse = None

__all__ = ["GAP", "ALL_OF", "FirstMatch", "Anchored", "anchored", "search_in", "finditer_in", "phrase", "skip"]

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


# Anchoring. A pattern that opens with alternatives, or with "\b" before them, gets no help from
# the regex engine's own prefix scan: it is tried at every position of the text, about 100 us per
# 4 KB for the override rules. When every match must begin with one of a few literal words, the
# candidate positions are where those words occur (found with str.find, and shared between the
# patterns that open with the same word), and the pattern is matched at those positions only. The
# matches are exactly search's and finditer's: a match can begin nowhere else.
_PREFIX_LEN = 8  # longer prefixes find no fewer candidates worth the find


def _prefixes(items: list, at_word: bool = False) -> set[tuple[str, bool]] | None:
    """The literal openings every match of ``items`` (a parsed sequence) begins with, each with
    whether it must begin a word (after a word boundary); None when some match can begin otherwise."""
    if not items:
        return None
    op, arg = items[0]
    if op is _sre.AT and arg is _sre.AT_BOUNDARY:
        return _prefixes(items[1:], at_word=True)
    if op is _sre.AT and arg in (_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING):
        return {("", False)}  # the text's first position, whatever follows
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):  # a look-around consumes nothing: the match opens with what follows
        return _prefixes(items[1:], at_word)
    if op is _sre.LITERAL:
        run = ""
        for item_op, item_arg in items:
            if item_op is not _sre.LITERAL or len(run) == _PREFIX_LEN:
                break
            run += chr(item_arg)
        # "\b" before a letter means a word starts there; before anything else it is a test we keep
        return {(run, at_word and run[0].isalpha())}
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = arg
        if add_flags & _sre.SRE_FLAG_IGNORECASE:
            return None
        return _prefixes([*sub, *items[1:]], at_word)
    if op is _sre.BRANCH:
        found: set[tuple[str, bool]] = set()
        for branch in arg[1]:
            got = _prefixes([*branch, *items[1:]], at_word)
            if got is None:
                return None
            found |= got
        return found
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        low, _high, sub = arg
        first = _prefixes(list(sub), at_word)
        if first is None or low >= 1:
            return first
        rest = _prefixes(items[1:], at_word)  # the repeat may match nothing
        return None if rest is None else first | rest
    if op is _sre.IN:
        chars = _chars(arg)
        return None if chars is None else {(c, at_word and c.isalpha()) for c in chars}
    return None


def _chars(arg: list) -> list[str] | None:
    """The characters of a parsed character set, when it lists a few (no negation, no class)."""
    chars: list[str] = []
    for op, value in arg:
        if op is _sre.LITERAL:
            chars.append(chr(value))
        elif op is _sre.RANGE and value[1] - value[0] < 32:
            chars.extend(map(chr, range(value[0], value[1] + 1)))
        else:
            return None
    return chars


class Anchored:
    """``pattern`` tried only where one of its literal openings occurs (see above). ``search`` and
    ``finditer`` return what the pattern's own would, ``pos`` and ``endpos`` too. ``seen`` (a dict
    per text, optional) shares the openings' positions in the whole text between patterns."""

    def __init__(self, pattern: re.Pattern[str], openings: set[tuple[str, bool]]) -> None:
        self.pattern = pattern
        self.openings = tuple(sorted(openings))

    def _starts(self, text: str, seen: dict | None, pos: int, endpos: int) -> list[int]:
        if pos > 0 or endpos < len(text):
            seen = None  # a window's positions are not the whole text's
        starts: set[int] = set()
        for opening in self.openings:
            at_list = None if seen is None else seen.get(opening)
            if at_list is None:
                word, at_word = opening
                at_list = [] if word or pos else [0]  # "" stands for "^": the text's first position only
                at = text.find(word, pos, endpos) if word else -1
                while at != -1:
                    # a word begins where no letter, digit or "_" stands before it ("\b" tests the same)
                    if not (at_word and at and (text[at - 1].isalnum() or text[at - 1] == "_")):
                        at_list.append(at)
                    at = text.find(word, at + 1, endpos)
                if seen is not None:
                    seen[opening] = at_list
            starts.update(at_list)
        return sorted(starts)

    def search(
        self, text: str, seen: dict | None = None, pos: int = 0, endpos: int | None = None
    ) -> re.Match[str] | None:
        end = len(text) if endpos is None else min(endpos, len(text))
        match = self.pattern.match
        for at in self._starts(text, seen, pos, end):
            m = match(text, at, end)
            if m is not None:
                return m
        return None

    def finditer(
        self, text: str, seen: dict | None = None, pos: int = 0, endpos: int | None = None
    ) -> Iterator[re.Match[str]]:
        end = len(text) if endpos is None else min(endpos, len(text))
        match, done = self.pattern.match, 0
        for at in self._starts(text, seen, pos, end):
            if at >= done:
                m = match(text, at, end)
                if m is not None:
                    yield m
                    done = max(m.end(), at + 1)


def anchored(pattern: re.Pattern[str]) -> Anchored | re.Pattern[str]:
    """``pattern`` as an :class:`Anchored` when every match begins with a literal opening, else as is."""
    if _sre_parse is None or pattern.flags & (re.IGNORECASE | re.ASCII | re.LOCALE):
        return pattern  # (openings are compared as written, and "\b" as Unicode's)
    try:
        openings = _prefixes(list(_sre_parse.parse(pattern.pattern, pattern.flags)))
    except Exception:  # noqa: BLE001 - a parser that changed shape: search as the pattern is
        return pattern
    # A pattern that may open with a space or any one letter is tried at nearly every word: no gain.
    if not openings or any(len(word) == 1 and (word.isspace() or word.isalnum()) for word, _at_word in openings):
        return pattern
    return Anchored(pattern, openings)


Searchable: TypeAlias = "re.Pattern[str] | Anchored | FirstMatch"


def search_in(pattern: Searchable, text: str, seen: dict | None = None) -> re.Match[str] | None:
    """``pattern.search(text)``, sharing ``seen`` when the pattern is anchored."""
    return pattern.search(text, seen) if isinstance(pattern, Anchored) else pattern.search(text)


def finditer_in(
    pattern: Searchable, text: str, seen: dict | None = None, pos: int = 0, endpos: int | None = None
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text, pos, endpos)``, sharing ``seen`` when the pattern is anchored."""
    if isinstance(pattern, Anchored):
        return pattern.finditer(text, seen, pos, endpos)
    if isinstance(pattern, FirstMatch):
        return pattern.finditer(text)
    return pattern.finditer(text, pos, len(text) if endpos is None else endpos)
