"""JSON Lines that survive any text: written one safe line per record, read back split on ``\\n`` only.

Two traps this avoids. ``str.splitlines()`` also splits on U+2028, U+2029, U+0085 and other
separators that JSON leaves raw inside strings, so an answer holding one breaks its line in two.
And a lone surrogate (``"\\ud800"``, which Python strings may hold) cannot be encoded as UTF-8.
``dumps_line`` writes those characters as ``\\uXXXX`` escapes, which JSON reads back as the same
code points: nothing is lost. (One limit of JSON itself: a high and a low surrogate written as two
separate code points read back as the one character they encode.)

Example::

    >>> line = dumps_line({"answer": "a\\u2028b\\ud800"})
    >>> line
    '{"answer": "a\\\\u2028b\\\\ud800"}\\n'
    >>> [(n, json.loads(text)) for n, text in split_lines(line.encode(), "out.jsonl")]
    [(1, {'answer': 'a\\u2028b\\ud800'})]
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .exceptions import FileFormatError, UsageError

__all__ = ["dumps_line", "read_bytes", "split_lines"]

# Line separators other than "\n" that JSON keeps raw, and every surrogate code point (in a Python
# str from json.dumps, a surrogate is always a lone one: UTF-8 cannot carry it).
_UNSAFE = re.compile("[\u0085\u2028\u2029\ud800-\udfff]")
_BOM = b"\xef\xbb\xbf"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps_line(record: Any) -> str:
    """``record`` as one JSON line ending in ``\\n``: UTF-8-encodable, one line for every reader.

    Non-JSON values are written with ``str()``. These characters only ever occur inside JSON
    strings here, where an escape means the same code point.
    """
    return _UNSAFE.sub(_escape, json.dumps(record, ensure_ascii=False, default=str)) + "\n"


def read_bytes(path: str | Path, what: str) -> bytes:
    """The bytes of ``path``; a UsageError saying what could not be read, and why."""
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise UsageError(f"Cannot read {what} {path}: it is a directory, not a file") from None
    except OSError as exc:
        raise UsageError(f"Cannot read {what} {path}: {exc.strerror or exc}") from None


def _decode(raw: bytes, source: str, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{source}:{lineno}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
            "save the file as UTF-8",
            path=source,
            line=lineno,
        ) from None


def split_lines(data: bytes, source: str, *, torn_tail_ok: bool = False) -> list[tuple[int, str]]:
    """The non-blank lines of UTF-8 JSONL ``data`` as ``(line number, text)``, split on ``\\n`` only.

    A line that is not UTF-8 is a FileFormatError naming ``source`` and the line. With
    ``torn_tail_ok``, a last line without its ``\\n`` that does not decode (a crash cut a character
    in two) is dropped instead: it was never complete.
    """
    data = data.removeprefix(_BOM)
    pieces = data.split(b"\n")
    lines = []
    for lineno, raw in enumerate(pieces, start=1):
        if not raw.strip():
            continue
        try:
            lines.append((lineno, _decode(raw, source, lineno)))
        except FileFormatError:
            if torn_tail_ok and lineno == len(pieces):
                break
            raise
    return lines
