"""Values the user's question names, and which of them the calls written so far have not used.

A request for several calls ("the area of circles of radius 5, 10 and 15 m", "molecular weights of
C6H12O6 and C12H22O11") lists more values of one kind than one call takes. After each call a
scoring backend asks :func:`leftover`: the question's values of a kind the calls already took from
the question (numbers, or strings of the same shape) that no call has used yet. Another call is
written only while such values remain, and a call that uses none of them is dropped (a repeat).

A small model's own "another call?" score almost never says yes; this count does not depend on the
model. Measured on BFCL with the ground-truth first call (TUNE half / HELD-OUT half): values remain
on 81 % / 86 % of parallel items, 76 % / 71 % of parallel_multiple items, on 3 % / 2 % of simple
items and 1 % / 0 % of multiple items. (Before names had to share a role with a used one and dates
were read whole: 88 / 88, 84 / 76, 8 / 9 and 10 / 8; on held-out items the false ones were a second
call on 5 of 40 simple and multiple items the model had answered with one.)

While a call is written, :func:`scaled_numbers` and :func:`number_continuation` tell the decoder
when a number argument is the start of a number the question writes in parts ("$200,000", "$50
million"), which a small model copies as 200 or 50 (corral.backends.deciding steers it whole).

Example::

    >>> q = "Area of circles with radius 5 and 10 meters"
    >>> [v.text for v in leftover(q, [{"radius": 5, "units": "meters"}])]
    ['10']
    >>> leftover(q, [{"radius": 5}, {"radius": 10}])
    []
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Value", "Scaled", "values", "leftover", "uses", "next_values", "scaled_numbers", "number_continuation"]

# A number standing alone: not part of a word ("C6H12O6"), an exponent ("x^2", "1e-9"), a date or
# a range ("2019-2020", "2022-04-27"), a decimal's tail or a list written without spaces.
_NUMBER = re.compile(r"(?<![A-Za-z0-9^.\-])[-+]?\$?\d[\d,]*(?:\.\d+)?%?(?![A-Za-z0-9^]|\.\d|-\d|,\d)")
_MIXED = re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{4,}\b")  # C12H22O11, B1004
_QUOTED = re.compile(r"'([^'\n]{2,60})'|\"([^\"\n]{2,60})\"")
_DATA = ("number", "mixed")  # kinds that differ between the like requests of a parallel question
_NAME = re.compile(r"(?<=[a-z,] )([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")  # a capitalised name mid-sentence
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# "January 1, 2021", "1st June 2022", "March 17": one date, whose parts are not values of their own
# (a call writes it as "2021-01-01", so its day would look unused and ask for another call).
_DATE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?\b"
)
# Between two names of one list: only commas, "and", "or", "&" ("Paris, London and Berlin").
_LISTED = re.compile(r"[\s,;&/]*(?:(?:and|or|vs\.?|versus|as well as)\b[\s,]*)?", re.IGNORECASE)
_PREPOSITIONS = frozenset("in at for from to near between of on with by about".split())
# "Seattle, Washington": a place and its region, one value. Not a list: the pair is neither preceded
# by a comma nor followed by a comma, a hyphen or "and"/"or" ("Paris, London and Berlin" is three).
_PLACE = re.compile(
    r"(?<=[a-z] )([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*, [A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)\b(?![,\-]|\s+[A-Z]| and\b| or\b| &)"
)


@dataclass(frozen=True)
class Value:
    """A value the question names: ``kind`` is ``number``, ``mixed``, ``quoted`` or ``name``;
    ``key`` is what is compared (a float, or the lower-cased text); ``text`` as written; ``literal``
    as an argument would hold it (a number, or the text without quotes)."""

    kind: str
    key: Any
    text: str
    literal: Any = None
    at: tuple[int, int] = field(default=(0, 0), compare=False)  # where the question says it
    whole: float | None = field(default=None, compare=False)  # "2" of "$2 million": 2000000


def _number(text: str) -> float | None:
    try:
        return float(text.replace("$", "").replace(",", "").rstrip("%"))
    except ValueError:
        return None


def values(question: str) -> list[Value]:
    """The numbers, letter-digit codes, quoted strings and mid-sentence names in ``question``.

    Example::

        >>> [(v.kind, v.text) for v in values("Weight of C6H12O6 in 'grams/mole', 2 samples, New York")]
        [('number', '2'), ('mixed', 'C6H12O6'), ('quoted', "'grams/mole'"), ('name', 'New York')]
        >>> [v.text for v in values("Weather in Seattle, Washington? And in Paris, London or Rome?")]
        ['Seattle, Washington', 'Paris', 'London', 'Rome']
    """
    found = []
    dates = [m.span() for m in _DATE.finditer(question)]

    def dated(span: tuple[int, int]) -> bool:
        return any(a <= span[0] < b for a, b in dates)

    for m in _NUMBER.finditer(question):
        number = _number(m.group())
        if number is not None and not dated(m.span()):
            scale = _SCALE_AFTER.match(question, m.end())
            whole = number * 10 ** _SCALES[scale.group(1).lower()] if scale else None
            found.append(Value("number", number, m.group(), number, m.span(), whole))
    found += [Value("mixed", m.group().lower(), m.group(), m.group(), m.span()) for m in _MIXED.finditer(question)]
    for m in _QUOTED.finditer(question):
        inner = m.group(1) or m.group(2)
        found.append(Value("quoted", inner.lower(), m.group(), inner, m.span()))
    places = [m.span(1) for m in _PLACE.finditer(question)]
    for m in _NAME.finditer(question):
        if dated(m.span(1)):
            continue  # "June" in "1st June 2022"
        start = m.start(1)
        place = next(((a, b) for a, b in places if a <= start < b), None)
        if place is None:
            found.append(Value("name", m.group(1).lower(), m.group(1), m.group(1), m.span(1)))
        elif start == place[0]:
            text = question[place[0] : place[1]]
            found.append(Value("name", text.lower(), text, text, place))
    return found


def _leaves(arguments: Any) -> Iterator[Any]:
    if isinstance(arguments, dict):
        for item in arguments.values():
            yield from _leaves(item)
    elif isinstance(arguments, (list, tuple)):
        for item in arguments:
            yield from _leaves(item)
    else:
        yield arguments


def uses(value: Value, arguments: Any) -> bool:
    """Whether some argument (at any depth) holds ``value``: numbers by value (a percentage also as
    a fraction), strings as case-folded substrings either way."""
    for leaf in _leaves(arguments):
        if value.kind == "number":
            if isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
                if abs(float(leaf) - value.key) < 1e-9 or abs(float(leaf) * 100 - value.key) < 1e-6:
                    return True
                if value.whole is not None and abs(float(leaf) - value.whole) < 1e-6:  # "$2 million" as 2000000
                    return True
            elif isinstance(leaf, str) and (_number(leaf) == value.key or value.text.lstrip("$") in leaf):
                return True
        elif isinstance(leaf, str) and leaf.strip():
            folded = leaf.lower()
            if value.key in folded or (len(folded) > 2 and folded in value.key):
                return True
            head = value.key.partition(", ")[0] if value.kind == "name" else ""
            if head and head != value.key and head in folded:  # "Seattle" for "Seattle, Washington"
                return True
    return False


def leftover(question: str, calls: Sequence[Any]) -> list[Value]:
    """The question's values no call's arguments use, of a kind some call took from the question.

    ``calls``: the arguments (dicts) of the calls written so far.
    """
    named = values(question)
    used = [v for v in named if any(uses(v, args) for args in calls)]
    taken = {v.kind for v in used}
    pending = [v for v in named if v.kind in taken and v not in used]
    # A name counts only in the same role as a used one: listed with it ("Paris and London") or
    # after the same preposition ("in New York ..., and in Los Angeles"). "An Italian restaurant
    # near Brooklyn" names two things of different roles, which one call may not both use.
    return [v for v in pending if v.kind != "name" or any(_like(question, u, v) for u in used if u.kind == "name")]


def _like(question: str, a: Value, b: Value) -> bool:
    first, second = sorted((a.at, b.at))
    if first[1] <= second[0] and _LISTED.fullmatch(question[first[1] : second[0]]):
        return True
    before = _before(question, a)
    return before in _PREPOSITIONS and before == _before(question, b)


def _before(question: str, value: Value) -> str:
    words = question[: value.at[0]].split()
    return words[-1].lower() if words else ""


def next_values(question: str, calls: Sequence[dict[str, Any]], strict: bool = False) -> dict[str, Any] | None:
    """The last call again with the question's values it used swapped for the next unused values of
    the same kind, in the question's order; None unless every number and code it used has a
    replacement (a name or quoted text without one, like a unit said once, stays; ``strict``:
    every value needs one).

    This is the further call of a parallel request ("ROI for $2000 with a gain of $500; the same
    for $5000 with a loss of $1000") when the model itself only repeats its first call.

    Example::

        >>> q = "ROI of $2000 with gain 500, and of $5000 with gain 1000"
        >>> next_values(q, [{"investment": 2000, "gain": 500}])
        {'investment': 5000, 'gain': 1000}
    """
    if not calls:
        return None
    named, last = values(question), calls[-1]
    pending = leftover(question, calls)
    swap: dict[Value, Value] = {}
    for value in named:
        if value not in pending and uses(value, last) and value not in swap:
            spare = next((v for v in pending if v.kind == value.kind and v not in swap.values()), None)
            if spare is not None:
                swap[value] = spare
            elif value.kind in _DATA or strict:
                # a number or code with no replacement: not a list of like requests, unless one
                # value the call used is listed with unused ones ("a term of 15, 20 and 30 years")
                swap = {} if strict else _listed_swap(question, named, pending, last)
                break
    if not swap:
        return None
    replaced = _swap(last, swap)
    return replaced if isinstance(replaced, dict) and replaced != last else None


def _listed_swap(question: str, named: list[Value], pending: list[Value], last: dict[str, Any]) -> dict[Value, Value]:
    """The one number or code of ``last`` that the question lists with unused ones ("15, 20 and
    30"), swapped for the first of them; every other value stays. Empty when there is none, or several."""
    swaps = {}
    for value in named:
        if value.kind not in _DATA or value in pending or not uses(value, last):
            continue
        mates = [v for v in _list_of(question, named, value) if v in pending]
        if mates:
            swaps[value] = mates[0]
    return swaps if len(swaps) == 1 else {}


def _list_of(question: str, named: list[Value], value: Value) -> list[Value]:
    """The values listed together with ``value`` (same kind, only commas and "and"/"or" between)."""
    ordered = sorted((v for v in named if v.kind == value.kind), key=lambda v: v.at)
    at = ordered.index(value)
    start = end = at
    while start > 0 and _LISTED.fullmatch(question[ordered[start - 1].at[1] : ordered[start].at[0]]):
        start -= 1
    while end + 1 < len(ordered) and _LISTED.fullmatch(question[ordered[end].at[1] : ordered[end + 1].at[0]]):
        end += 1
    return [v for v in ordered[start : end + 1] if v is not value]


def _swap(argument: Any, swap: dict[Value, Value]) -> Any:
    if isinstance(argument, dict):
        return {key: _swap(item, swap) for key, item in argument.items()}
    if isinstance(argument, list):
        return [_swap(item, swap) for item in argument]
    for old, new in swap.items():
        if not uses(old, argument):
            continue
        if isinstance(argument, (int, float)) and not isinstance(argument, bool):
            if old.whole is not None and abs(float(argument) - old.whole) < 1e-6:  # written whole
                if new.whole is None:
                    continue
                return int(new.whole) if isinstance(argument, int) and new.whole == int(new.whole) else new.whole
            number = float(new.literal) if isinstance(new.literal, float) else None
            if number is None:
                continue
            scaled = number / 100 if abs(float(argument) - old.key) > 1e-9 else number  # a percentage
            return int(scaled) if isinstance(argument, int) and scaled == int(scaled) else scaled
        if isinstance(argument, str):
            before, after = (_written(v) for v in (old, new))
            at = argument.lower().find(before.lower())
            if at >= 0:
                return argument[:at] + after + argument[at + len(before) :]
            if argument.lower() in before.lower():  # the argument is part of the value: take the new one
                return after
    return argument


def _written(value: Value) -> str:
    return value.text.lstrip("$").rstrip("%") if value.kind == "number" else str(value.literal)


# A whole number written with thousands separators ("$200,000") or a scale word ("50 million",
# "$1.2M"): a small model copies its first group ("200", "50", "1") into a number argument and
# stops there.
_SCALES = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12, "k": 3, "m": 6, "mm": 6, "b": 9, "bn": 9}
_SCALE_WORD = r"\s*(thousand|million|billion|trillion)\b"
_SCALED = re.compile(
    r"(?<![\w.,])(\$)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
    # money also as "$1M", "$300k", "$2bn": a letter without "$" may be a unit ("5m" is five metres)
    rf"(?:{_SCALE_WORD}|(?<=\d)(k|mm|m|bn|b)\b)?(?!\w|[.,]\d)",
    re.IGNORECASE,
)
# A scale word right after a number ("2 million"): the number the question means is this much larger.
_SCALE_AFTER = re.compile(_SCALE_WORD, re.IGNORECASE)
# A number argument being written: after `"key": ` (JSON) or `key=` (Python-style calls).
_OPEN_NUMBER = re.compile(r'"([A-Za-z_][\w.]*)"\s*:\s*(\d+)$|\b([A-Za-z_]\w*)\s*=\s*(\d+)$')


@dataclass(frozen=True)
class Scaled:
    """A number the question writes in parts: ``first`` digits as a model would copy them,
    ``whole`` the number's digits, ``groups`` the other comma groups (a list reads them as numbers)."""

    first: str
    whole: str
    groups: tuple[str, ...] = ()


def scaled_numbers(question: str) -> list[Scaled]:
    """Each whole number the question writes with thousands separators or a scale word, unless its
    first digits also stand alone in the question (then a copied "200" may mean that one).

    Example::

        >>> [(s.first, s.whole) for s in scaled_numbers("Pay $50 million on 1,250,000 shares, $1.2M in fees")]
        [('50', '50000000'), ('1', '1250000'), ('1', '1200000')]
        >>> scaled_numbers("Split $200,000 over 200 days")
        []
    """
    found, alone = [], set()
    for m in _SCALED.finditer(question):
        dollar, digits, decimals, word, letter = m.groups()
        scale = _SCALES[(word or letter).lower()] if word or (letter and dollar) else 0
        if "," not in digits and not scale:
            if not decimals:
                alone.add(digits)
            continue
        fraction = (decimals or ".")[1:]
        if len(fraction) > scale:
            continue  # "12.345 thousand" is not a whole number
        whole = (digits.replace(",", "") + fraction + "0" * (scale - len(fraction))).lstrip("0") or "0"
        first, *groups = digits.split(",")
        found.append(Scaled(first, whole, tuple(groups)))
    return [s for s in found if s.first not in alone]


def number_continuation(call_text: str, scaled: Sequence[Scaled]) -> tuple[str, list[str], bool, bool] | None:
    """``(argument, rests, complete, past_first)`` when ``call_text`` ends inside a number argument
    whose digits so far begin numbers of ``scaled``: the digits each still needs, whether the digits
    so far are one of them already, and whether they already go past a first group (so this is one
    of those numbers, not a small one that starts alike: "12" after "1" of "$1,000"). None when no
    such number is being written.

    A comma-written number whose other groups the call already holds as numbers of their own
    ("cash_flows": [200, 300, 400, 500] for "200,300,400,500") was read as a list: left alone.

    Example::

        >>> fifty = scaled_numbers("A payout of $50 million")
        >>> number_continuation('{"name": "f", "parameters": {"payout": 50', fifty)
        ('payout', ['000000'], False, False)
        >>> number_continuation('{"name": "f", "parameters": {"note": "payout: 50', fifty) is None
        True
    """
    if not call_text[-1:].isdigit():  # most tokens: no number being written, no scan
        return None
    m = _OPEN_NUMBER.search(call_text)
    if m is None or call_text[: m.start()].count('"') % 2:  # inside a string
        return None
    name, digits = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    written = {n.group() for n in re.finditer(r"(?<![\w.])\d+(?![\w.])", call_text[: m.start()])}
    matches = [
        s
        for s in scaled
        if digits.startswith(s.first) and s.whole.startswith(digits) and not (s.groups and written >= set(s.groups))
    ]
    if not matches:
        return None
    return (
        name,
        [s.whole[len(digits) :] for s in matches if len(s.whole) > len(digits)],
        any(s.whole == digits for s in matches),
        any(len(digits) > len(s.first) for s in matches),
    )
