"""A structural GBNF validator, so a bad grammar never reaches llama.cpp (which may crash on it).

It follows llama.cpp's grammar parser: rule names of ``[A-Za-z0-9-]``, one rule per line (a rule
may continue after ``::=``, ``|`` or inside parentheses), string literals and character classes
with llama.cpp's escapes only (``\\x..``, ``\\u....``, ``\\U........``, ``\\t \\r \\n \\\\ \\" \\[ \\]``),
groups, ``.``, postfix ``* + ?`` and ``{m}``, ``{m,}``, ``{m,n}``, ``#`` comments. Beyond syntax it
checks that ``root`` exists, every referenced rule is defined exactly once, character ranges are
ordered, and no rule is left-recursive.

Example::

    >>> validate_grammar('root ::= "yes" | "no"')
    >>> validate_grammar('root ::= answer')
    Traceback (most recent call last):
    ...
    corral.exceptions.GrammarError: GBNF grammar: rule 'answer' is used but never defined (line 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corral.exceptions import GrammarError

__all__ = ["validate_grammar"]

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_SIMPLE_ESCAPES = {"t": 9, "r": 13, "n": 10, "\\": 92, '"': 34, "[": 91, "]": 93}
_HEX = {"x": 2, "u": 4, "U": 8}


@dataclass(kw_only=True)
class _Item:
    kind: str  # "lit" | "class" | "ref" | "group" | "any"
    ref: str = ""
    empty: bool = False  # a literal "" matches nothing
    alts: list[list[_Item]] = field(default_factory=list)
    optional: bool = False  # a postfix allows zero repetitions


class _Parser:
    def __init__(self, src: str) -> None:
        self.src, self.pos = src, 0
        self.rules: dict[str, list[list[_Item]]] = {}
        self.lines: dict[str, int] = {}
        self.refs: list[tuple[str, int]] = []

    def error(self, what: str, pos: int | None = None) -> GrammarError:
        pos = self.pos if pos is None else pos
        line = self.src.count("\n", 0, pos) + 1
        return GrammarError(f"GBNF grammar: {what} (line {line}).")

    def peek(self, k: int = 0) -> str:
        return self.src[self.pos + k] if self.pos + k < len(self.src) else ""

    def space(self, newlines: bool) -> None:
        while self.pos < len(self.src):
            c = self.src[self.pos]
            if c == "#":
                while self.pos < len(self.src) and self.src[self.pos] not in "\r\n":
                    self.pos += 1
            elif c in " \t" or (newlines and c in "\r\n"):
                self.pos += 1
            else:
                return

    def name(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        if self.pos == start:
            raise self.error(f"expected a rule name, found {self.peek()!r}")
        return self.src[start : self.pos]

    def char(self, end: str) -> int:
        """One (possibly escaped) character of a literal or class; returns its code point."""
        c = self.peek()
        if not c:
            where = "string" if end == '"' else "character class"
            raise self.error(f"unexpected end of grammar inside a {where}")
        if c != "\\":
            self.pos += 1
            return ord(c)
        esc = self.peek(1)
        if esc in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[esc]
        if esc in _HEX:
            digits = self.src[self.pos + 2 : self.pos + 2 + _HEX[esc]]
            if len(digits) != _HEX[esc] or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.error(f"bad escape \\{esc}{digits}: expected {_HEX[esc]} hex digits")
            self.pos += 2 + _HEX[esc]
            return int(digits, 16)
        raise self.error(f'unknown escape \\{esc} (llama.cpp knows \\x \\u \\U \\t \\r \\n \\\\ \\" \\[ \\])')

    def literal(self) -> _Item:
        self.pos += 1
        count = 0
        while self.peek() != '"':
            self.char('"')
            count += 1
        self.pos += 1
        return _Item(kind="lit", empty=count == 0)

    def char_class(self) -> _Item:
        start = self.pos
        self.pos += 1
        if self.peek() == "^":
            self.pos += 1
        if self.peek() == "]":
            raise self.error("empty character class []", start)
        while self.peek() != "]":
            low = self.char("]")
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self.char("]")
                if high < low:
                    raise self.error(f"character range {chr(low)!r}-{chr(high)!r} is reversed", start)
        self.pos += 1
        return _Item(kind="class")

    def repeat(self, item: _Item) -> None:
        start = self.pos
        self.pos += 1
        self.space(True)
        text = ""
        while self.peek() and self.peek() != "}":
            text += self.peek()
            self.pos += 1
        if not self.peek():
            raise self.error("unclosed {m,n} repetition", start)
        self.pos += 1
        parts = [p.strip() for p in text.split(",")]
        if len(parts) > 2 or not parts[0].isdigit() or (len(parts) == 2 and parts[1] and not parts[1].isdigit()):
            raise self.error(f"bad repetition {{{text}}}: use {{m}}, {{m,}} or {{m,n}}", start)
        if len(parts) == 2 and parts[1] and int(parts[1]) < int(parts[0]):
            raise self.error(f"bad repetition {{{text}}}: max is below min", start)
        item.optional = item.optional or int(parts[0]) == 0

    def sequence(self, nested: bool) -> list[_Item]:
        items: list[_Item] = []
        while True:
            c = self.peek()
            if c == '"':
                items.append(self.literal())
            elif c == "[":
                items.append(self.char_class())
            elif c == "(":
                self.pos += 1
                self.space(True)
                group = _Item(kind="group", alts=self.alternates(nested=True))
                if self.peek() != ")":
                    raise self.error("expected ')'")
                self.pos += 1
                items.append(group)
            elif c == ".":
                self.pos += 1
                items.append(_Item(kind="any"))
            elif c and c in _NAME_CHARS:
                ref_pos = self.pos
                items.append(_Item(kind="ref", ref=self.name()))
                self.refs.append((items[-1].ref, ref_pos))
            elif c in ("*", "+", "?", "{"):
                if not items:
                    raise self.error(f"{c!r} has nothing before it to repeat")
                if c == "{":
                    self.repeat(items[-1])
                else:
                    self.pos += 1
                    items[-1].optional = items[-1].optional or c in "*?"
            else:
                return items
            self.space(nested)

    def alternates(self, nested: bool) -> list[list[_Item]]:
        alts = [self.sequence(nested)]
        while self.peek() == "|":
            self.pos += 1
            self.space(True)
            alts.append(self.sequence(nested))
        return alts

    def rule(self) -> None:
        start = self.pos
        name = self.name()
        self.space(False)
        if not self.src.startswith("::=", self.pos):
            raise self.error(f"expected '::=' after rule name {name!r}")
        self.pos += 3
        self.space(True)
        alts = self.alternates(nested=False)
        if name in self.rules:
            raise self.error(f"rule {name!r} is defined twice", start)
        self.rules[name], self.lines[name] = alts, start
        if self.peek() == "\r":
            self.pos += 1
        if self.peek() == "\n":
            self.pos += 1
        elif self.peek():
            raise self.error(f"unexpected {self.peek()!r} in rule {name!r}")

    def grammar(self) -> None:
        self.space(True)
        while self.pos < len(self.src):
            self.rule()
            self.space(True)


def _nullable(item: _Item, null: set[str]) -> bool:
    if item.optional or item.kind == "lit" and item.empty:
        return True
    if item.kind == "ref":
        return item.ref in null
    if item.kind == "group":
        return any(all(_nullable(i, null) for i in alt) for alt in item.alts)
    return False


def _leftmost(alts: list[list[_Item]], null: set[str], out: set[str]) -> None:
    for alt in alts:
        for item in alt:
            if item.kind == "ref":
                out.add(item.ref)
            elif item.kind == "group":
                _leftmost(item.alts, null, out)
            if not _nullable(item, null):
                break


def _check_left_recursion(rules: dict[str, list[list[_Item]]]) -> None:
    null: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, alts in rules.items():
            if name not in null and any(all(_nullable(i, null) for i in alt) for alt in alts):
                null.add(name)
                changed = True
    first: dict[str, set[str]] = {}
    for name, alts in rules.items():
        first[name] = set()
        _leftmost(alts, null, first[name])
    for name in rules:
        seen, todo = set(), list(first[name])
        while todo:
            other = todo.pop()
            if other == name:
                raise GrammarError(f"GBNF grammar: rule {name!r} is left-recursive; llama.cpp rejects that.")
            if other not in seen and other in first:
                seen.add(other)
                todo.extend(first[other])


def validate_grammar(gbnf: str) -> None:
    """Check a GBNF grammar the way llama.cpp parses it; raise ``GrammarError`` if it is invalid.

    Example::

        >>> validate_grammar('root ::= [a-z]+ ("!" | "?")?')
    """
    if not isinstance(gbnf, str) or not gbnf.strip():
        raise GrammarError("GBNF grammar is empty: it needs at least `root ::= ...`.")
    parser = _Parser(gbnf)
    parser.grammar()
    for ref, pos in parser.refs:
        if ref not in parser.rules:
            raise parser.error(f"rule {ref!r} is used but never defined", pos)
    if "root" not in parser.rules:
        raise GrammarError("GBNF grammar has no `root` rule; llama.cpp starts from `root ::= ...`.")
    _check_left_recursion(parser.rules)
