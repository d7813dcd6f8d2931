"""Read a tool's description and its parameter descriptions out of a docstring.

Three common styles are understood, and they may not be mixed within one docstring:

* Google:  ``Args:`` (or ``Arguments:``, ``Parameters:``) then ``name (type): text`` lines
* NumPy:   ``Parameters`` underlined with dashes, then ``name : type`` and indented text
* reST:    ``:param name: text`` or ``:param type name: text``

Example::

    >>> parse_docstring('''Add numbers.
    ...
    ... Args:
    ...     a: First number.
    ...     b (int): Second
    ...         number.
    ... ''')
    Docstring(summary='Add numbers.', params={'a': 'First number.', 'b': 'Second number.'})
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["Docstring", "parse_docstring"]

_GOOGLE_HEADER = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments):\s*$")
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(:.*)?$")
_REST_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\*{0,2}\w+)\s*:\s*(.*)$")
_REST_FIELD = re.compile(r"^:\w+")
# A section header of any style ends the free-text description.
_ANY_SECTION = re.compile(r"^(\w[\w ]*):\s*$|^:\w+")


@dataclass(frozen=True, kw_only=True)
class Docstring:
    """What a docstring says: the free-text ``summary`` and per-parameter ``params``."""

    summary: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> Docstring:
    """Split ``doc`` into the description and the parameter descriptions (see module docstring)."""
    if not doc:
        return Docstring()
    lines = inspect.cleandoc(doc).splitlines()
    end = _description_end(lines)
    summary = "\n".join(lines[:end]).strip()
    params = _google(lines) or _numpy(lines) or _rest(lines)
    return Docstring(summary=summary, params=params)


def _description_end(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _ANY_SECTION.match(line) or _is_numpy_header(lines, i):
            return i
    return len(lines)


def _is_numpy_header(lines: list[str], i: int) -> bool:
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    return bool(lines[i].strip()) and bool(re.fullmatch(r"\s*-{3,}\s*", nxt))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p.strip())


def _google(lines: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for start, line in enumerate(lines):
        if _GOOGLE_HEADER.match(line.strip()) and _indent(line) == 0:
            params.update(_google_block(lines[start + 1 :]))
    return params


def _google_block(lines: list[str]) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    item_indent, current = None, None
    for line in lines:
        if not line.strip():
            continue
        indent = _indent(line)
        if indent == 0:  # dedent back to column 0: the section is over
            break
        if item_indent is None:
            item_indent = indent
        match = _GOOGLE_ITEM.match(line.strip())
        if indent == item_indent and match:
            current = match.group(1).lstrip("*")
            params[current] = [match.group(3)]
        elif current is not None and indent > item_indent:
            params[current].append(line)
    return {k: _join(v) for k, v in params.items()}


def _numpy(lines: list[str]) -> dict[str, str]:
    for i, line in enumerate(lines):
        if line.strip() in ("Parameters", "Other Parameters") and _is_numpy_header(lines, i):
            return _numpy_block(lines[i + 2 :])
    return {}


def _numpy_block(lines: list[str]) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        if _is_numpy_header(lines, i):  # the next section begins
            break
        if not line.strip():
            continue
        match = _NUMPY_ITEM.match(line)
        if _indent(line) == 0 and match:
            current = match.group(1).lstrip("*")
            params[current] = []
        elif current is not None:
            params[current].append(line)
    return {k: _join(v) for k, v in params.items()}


def _rest(lines: list[str]) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    current = None
    for line in lines:
        stripped = line.strip()
        match = _REST_PARAM.match(stripped)
        if match:
            current = match.group(1).lstrip("*")
            params[current] = [match.group(2)]
        elif _REST_FIELD.match(stripped) or not stripped:
            current = None
        elif current is not None:
            params[current].append(stripped)
    return {k: _join(v) for k, v in params.items()}
