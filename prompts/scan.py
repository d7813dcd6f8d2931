"""Small text scanners shared by the parsers and the streaming parser.

They know strings (so ``)`` or ``]`` inside a quoted argument never closes anything) and bracket
depth, nothing else. Positions are offsets into the text given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from corral.exceptions import ToolCallParseError

__all__ = ["skip_ws", "group_ends", "fail", "line_col_to_offset"]

_OPEN, _CLOSE = "([{", ")]}"
# re's \s is str.isspace()'s set: the regex is the char loop's fast twin.
_WS = re.compile(r"\s*")


def skip_ws(text: str, i: int, extra: str = "") -> int:
    """Index of the first character at or after ``i`` that is not whitespace (or in ``extra``)."""
    if not extra and 0 <= i < len(text):
        return _WS.match(text, i).end()  # type: ignore[union-attr]
    while i < len(text) and (text[i].isspace() or text[i] in extra):
        i += 1
    return i


def group_ends(text: str, i: int, *, quotes: str = "\"'") -> Iterator[tuple[int, int]]:
    """Yield ``(index_after, depth)`` each time a bracket closes, scanning from ``text[i]``.

    ``depth`` is the nesting left after the close (0: the group opened at ``i`` is complete).
    Stops after depth 0 or at the end of the text. The walk jumps from one quote, bracket or
    backslash to the next: everything else cannot change the depth.
    """
    depth, quote, j, search = 0, "", max(i, 0), _specials(quotes).search
    while True:
        hit = search(text, j)
        if hit is None:
            return
        j = hit.start()
        c = text[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = ""
        elif c in quotes:
            quote = c
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            yield j + 1, depth
            if depth <= 0:
                return
        j += 1


@cache
def _specials(quotes: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape(quotes + _OPEN + _CLOSE + "\\") + "]")


def fail(what: str, text: str, position: int | None, hint: str = "") -> ToolCallParseError:
    """A ToolCallParseError that says where and why, and what the model should do instead."""
    where = f" at position {position}" if position is not None else ""
    near = ""
    if position is not None:
        near = f" (near {text[max(0, position - 20) : position + 20]!r})"
    msg = f"malformed tool call{where}: {what}{near}."
    if hint:
        msg += f" {hint}"
    return ToolCallParseError(msg, text=text, position=position)


def line_col_to_offset(src: str, lineno: int | None, col: int | None, *, byte_col: bool = True) -> int:
    """Character offset in ``src`` of a 1-based line and a column (``ast`` counts UTF-8 bytes)."""
    if not lineno:
        return 0
    lines = src.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: lineno - 1])
    line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
    col = max(col or 0, 0)
    if byte_col:
        col = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
    return start + min(col, len(line))
