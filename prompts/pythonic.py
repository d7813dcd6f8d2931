"""Pythonic tool calls (Llama 3.2's ``[f(a=1), g(b="x")]``) read with ``ast``, never ``eval``.

Tool names are identifier segments joined by ``.`` or ``-`` (MCP tools: ``[create-ticket(title="x")]``,
``[fs.read-file(path="a")]``); a part may be a Python keyword (``db.import``). Only literals are
accepted as values: strings (either quote), numbers (signs and exponents included),
``True``/``False``/``None`` (and the JSON spellings ``true``/``false``/``null``),
lists, tuples (become lists) and dicts with string keys. A repeated keyword is ambiguous and
rejected; so are positional arguments, since the model must name every argument.

Example::

    >>> [c.arguments for c in parse_call_list('[f(x=-1e-3, s="a)b")]', 0, None)]
    [{'x': -0.001, 's': 'a)b'}]
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import re
import warnings
from typing import Any

from .messages import ToolCall
from .scan import fail, group_ends, line_col_to_offset, skip_ws

__all__ = [
    "parse_call_list",
    "parse_dot_calls",
    "python_literal_at",
    "PYTHONIC_START",
    "DOT_CALL_START",
    "NEAR_PYTHONIC",
]

PYTHONIC_START = re.compile(r"\[\s*[A-Za-z_][\w.-]*\s*\(")
# A list that opens like a call but puts its arguments in braces: a malformed call, not prose.
NEAR_PYTHONIC = re.compile(r"\[\s*[A-Za-z_][\w.-]*\s*\{")
DOT_CALL_START = re.compile(r"[A-Za-z_][\w.]*\.call\s*\(")
_HINT = 'Write calls as [name(arg=value, ...)] with literal values, e.g. [get_weather(city="Paris")].'
_JSON_NAMES = {"true": True, "false": False, "null": None}


class _Bad(Exception):
    """Internal: a node that is not an acceptable literal (turned into ToolCallParseError)."""

    def __init__(self, what: str, node: ast.AST | None) -> None:
        super().__init__(what)
        self.what, self.node = what, node


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise _Bad(f"{value!r} is not a JSON value", node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = node.operand
        if isinstance(inner, ast.Constant) and type(inner.value) in (int, float):
            value = -inner.value if isinstance(node.op, ast.USub) else inner.value
            if math.isfinite(value):
                return value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return _dict(node)
    if isinstance(node, ast.Name) and node.id in _JSON_NAMES:
        return _JSON_NAMES[node.id]
    raise _Bad(f"{_source(node)!r} is not a literal value (no variables or expressions)", node)


def _dict(node: ast.Dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in zip(node.keys, node.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            raise _Bad("dict keys must be quoted strings", key or value)
        if key.value in out:
            raise _Bad(f"dict key {key.value!r} is repeated", key)
        out[key.value] = _literal(value)
    return out


def _source(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:40]
    except Exception:  # unparse of odd nodes; the message only needs a hint
        return type(node).__name__


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _call(node: ast.AST, name: str | None = None) -> ToolCall:
    if not isinstance(node, ast.Call):
        raise _Bad(f"{_source(node)!r} is not a function call", node)
    name = name or _dotted(node.func)
    if not name:
        raise _Bad("the function name must be a plain (dotted) name", node)
    if node.args:
        raise _Bad(f"{name}() got a positional argument; name every argument (arg=value)", node.args[0])
    args: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise _Bad(f"{name}() uses **; name every argument", kw.value)
        if kw.arg in args:
            raise _Bad(f"{name}() repeats the argument {kw.arg!r}, which is ambiguous", kw.value)
        args[kw.arg] = _literal(kw.value)
    return ToolCall(name=name, arguments=args)


# --- fast path: canonical call lists without ast -----------------------------------------
# Model output is usually the canonical form (JSON-style literals, see encode.py), which a small
# scanner plus the JSON decoder reads in a fraction of ast's time. Anything it is not sure about
# (Python-only syntax, escapes, duplicates, odd numbers, text after the list) returns None and the
# slow path decides, so results and error messages are exactly the slow path's.

_WS = r"[ \t\n\r\f]*"  # the blanks Python's tokenizer skips (re's \s has more, which ast refuses)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# A tool name: identifier segments joined by "." or "-" (a segment after "-" may start with a digit).
_CALL_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:(?:\.[A-Za-z_]|-[A-Za-z0-9_])[A-Za-z0-9_]*)*"
_OPEN_CALL = re.compile(rf"{_WS}({_CALL_NAME}){_WS}\({_WS}(\)?)")
_ARG = re.compile(rf"{_WS}({_NAME}){_WS}={_WS}")
_AFTER = re.compile(rf"{_WS}([,)\]])")  # what may follow a value or a call
# ``name=value`` and the ``,`` or ``)`` after it, for the values models write most, read in one
# match instead of three: a string with no escapes and no control characters (JSON and Python
# read it alike: as its characters), an integer, a bare word. Other values go to the JSON decoder.
_SIMPLE_ARG = re.compile(
    rf'{_WS}({_NAME}){_WS}={_WS}(?:"(?P<str>[^"\\\x00-\x1f]*)"|(?P<int>-?(?:0|[1-9][0-9]*))'
    rf"|(?P<word>True|False|None|true|false|null)){_WS}(?P<sep>[,)])"
)
_KEYWORDS = frozenset(keyword.kwlist)  # what keyword.iskeyword tests
_BARE = {"True": True, "False": False, "None": None, "true": True, "false": False, "null": None}
_BARE_WORD = re.compile(r"(True|False|None|true|false|null)(?![\w.])")


class _NotSure(Exception):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _NotSure
    return out


def _refuse(_: str) -> Any:
    raise _NotSure


_JSON = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_refuse)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


def _fast_value(src: str, i: int) -> tuple[Any, int]:
    bare = _BARE_WORD.match(src, i)
    if bare:
        return _BARE[bare.group(1)], bare.end()
    if src.startswith("+", i):
        raise _NotSure
    value, end = _JSON.raw_decode(src, i)
    if (type(value) is not int and not _finite(value)) or "\\/" in src[i:end]:
        raise _NotSure  # JSON's \/ means "/"; Python's keeps the backslash
    return value, end


def _is_keyword(name: str) -> bool:
    """True when any part of a (dotted) name is a Python keyword: ast would refuse it."""
    return name in _KEYWORDS or ("." in name and not _KEYWORDS.isdisjoint(name.split(".")))


def _fast_arg(src: str, i: int) -> tuple[str, Any, int, bool]:
    """``name=value`` at ``src[i]`` and the ``,`` or ``)`` after it: the name, the value, the index
    after the separator, and whether it was the ``)``."""
    simple = _SIMPLE_ARG.match(src, i)
    if simple is not None:
        name, text, number, word, sep = simple.groups()
        value = text if text is not None else int(number) if number is not None else _BARE[word]
        return name, value, simple.end(), sep == ")"
    arg = _ARG.match(src, i)
    if arg is None:
        raise _NotSure
    value, i = _fast_value(src, arg.end())
    sep = _AFTER.match(src, i)
    if sep is None or sep.group(1) == "]":
        raise _NotSure
    return arg.group(1), value, sep.end(), sep.group(1) == ")"


def _fast_call(src: str, i: int) -> tuple[ToolCall, int]:
    """One call at ``src[i]``; returns it and the index of the ``,`` or ``]`` after it."""
    opened = _OPEN_CALL.match(src, i)
    if opened is None:
        raise _NotSure
    name, no_args = opened.groups()
    if _is_keyword(name):
        raise _NotSure
    args: dict[str, Any] = {}
    i, closed = opened.end(), bool(no_args)
    while not closed:
        key, value, i, closed = _fast_arg(src, i)
        if key in _KEYWORDS or key in args:
            raise _NotSure
        args[key] = value
    after = _AFTER.match(src, i)
    if after is None or after.group(1) == ")":
        raise _NotSure
    return ToolCall(name=name, arguments=args), after.start(1)


def _fast_list(src: str) -> list[ToolCall] | None:
    """``src`` starts with the list's ``[``: the calls if only blanks follow its ``]``, or None to
    let the slow path decide.

    When this returns calls, its ``]`` is the one the slow path finds (strings are JSON strings,
    which ``group_ends`` delimits alike, and JSON values nest their brackets), so skipping that
    scan changes nothing.
    """
    try:
        calls, i = [], 1
        while True:
            call, i = _fast_call(src, i)
            calls.append(call)
            if src[i] == "]":
                return calls if skip_ws(src, i + 1) == len(src) else None
            i += 1  # the comma
    except (_NotSure, ValueError, IndexError):
        return None


def _quiet_parse(src: str, mode: str) -> ast.AST:
    with warnings.catch_warnings():  # only here: the fast path needs no global state
        warnings.simplefilter("ignore")  # ast warns on odd escapes; a parser never prints
        return ast.parse(src, mode=mode)


def _ast(src: str, mode: str, text: str, base: int) -> ast.AST:
    try:
        return _quiet_parse(src, mode)
    except SyntaxError as exc:
        pos = base + line_col_to_offset(src, exc.lineno, (exc.offset or 1) - 1, byte_col=False)
        raise fail(f"not valid Python ({exc.msg})", text, pos, _HINT) from None


def _convert(fn, node: ast.AST, src: str, text: str, base: int, hint: str = _HINT):
    try:
        return fn(node)
    except _Bad as bad:
        at = bad.node
        pos = base + line_col_to_offset(src, getattr(at, "lineno", None), getattr(at, "col_offset", None))
        raise fail(bad.what, text, pos, hint) from None


def parse_call_list(text: str, start: int, end: int | None) -> list[ToolCall]:
    """Parse the pythonic call list opening at ``text[start]`` (``"["``); only blanks may follow."""
    end = len(text) if end is None else end
    body = text[:end]
    fast = _fast_list(body[start:])  # before the bracket scan, which it makes unneeded
    if fast is not None:
        return fast
    close = next((j for j, depth in group_ends(body, start) if depth == 0), None)
    if close is None:
        raise fail("the call list never closes with ']' (output cut off?)", text, end, _HINT)
    after = skip_ws(body, close)
    if after < end:
        raise fail("unexpected text after the call list", text, after, "Reply with only the call list.")
    src = body[start:close]
    calls = _odd_names_list(src, text, start)  # one regex scan; ast runs only for odd names
    if calls is not None:
        return calls
    node = _ast(src, "eval", text, start).body
    if not isinstance(node, ast.List):
        raise fail("expected a list of calls", text, start, _HINT)
    return _convert(lambda n: [_call(e) for e in n.elts], node, src, text, start)


_NAMED_CALL = re.compile(rf"(?<![\w.\-'\"])({_CALL_NAME})(?=[ \t\n\r\f]*\()")


def _readable(name: str) -> str:
    """A same-length name ``ast`` reads as a dotted name: "_" for "-", keyword parts end in "_"."""
    parts = name.replace("-", "_").split(".")
    return ".".join([p[:-1] + "_" if p in _KEYWORDS else p for p in parts])


def _swap(src: str, names: dict[int, str]) -> str:
    """``src`` with the names at these offsets made readable (same length: every offset holds)."""
    parts, last = [], 0
    for at, name in sorted(names.items()):
        parts += [src[last:at], _readable(name)]
        last = at + len(name)
    return "".join(parts) + src[last:]


def _name_at(src: str, node: ast.AST) -> int | None:
    func = getattr(node, "func", None)
    return None if func is None else line_col_to_offset(src, func.lineno, func.col_offset)


def _list_node(src: str) -> ast.List | None:
    try:
        node = _quiet_parse(src, "eval").body  # type: ignore[attr-defined]
    except SyntaxError:
        return None
    return node if isinstance(node, ast.List) else None


def _odd_names_list(src: str, text: str, base: int) -> list[ToolCall] | None:
    """Calls whose names hold hyphens (``ast`` reads subtraction) or keyword parts (``db.import``):
    each name is read in a same-length readable spelling and the call keeps the name as written. Candidates come from a regex that does not
    know strings, so a first reading finds which of them really name the list's calls; the second
    reading swaps only those (a string's text is never changed). None: no such call."""
    names = {m.start(1): m.group(1) for m in _NAMED_CALL.finditer(src) if _readable(m.group(1)) != m.group(1)}
    node = _list_node(_swap(src, names)) if names else None
    if node is None:
        return None
    starts = {_name_at(src, e) for e in node.elts}
    real = {at: name for at, name in names.items() if at in starts}
    if not real:
        return None
    swapped = _swap(src, real)
    if real != names and (node := _list_node(swapped)) is None:
        return None
    return _convert(lambda n: [_call(e, real.get(_name_at(swapped, e))) for e in n.elts], node, swapped, text, base)


def python_literal_at(text: str, start: int, end: int, hint: str = _HINT) -> tuple[Any, int]:
    """The Python literal (e.g. a single-quoted dict) opening at ``text[start]``, and the index after
    it. Read with ``ast``, so quotes are honoured as written, never rewritten."""
    body = text[:end]
    close = next((j for j, depth in group_ends(body, start) if depth == 0), None)
    if close is None:
        raise fail("the value never closes (output cut off?)", text, end, hint)
    src = body[start:close]
    try:
        node = _quiet_parse(src, "eval").body  # type: ignore[attr-defined]
    except SyntaxError as exc:
        raise fail(f"not a valid literal ({exc.msg})", text, start, hint) from None
    return _convert(_literal, node, src, text, start, hint), close


def _dot_call(stmt: ast.stmt) -> ToolCall:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        raise _Bad("expected name.call(arg=value)", stmt)
    func = stmt.value.func
    if not (isinstance(func, ast.Attribute) and func.attr == "call"):
        raise _Bad("expected name.call(arg=value)", stmt)
    name = _dotted(func.value)
    return _call(stmt.value, name=name)


def parse_dot_calls(text: str, start: int, end: int) -> list[ToolCall]:
    """Parse Llama 3.1 built-in calls ``brave_search.call(query="x")`` (``;`` or newline separated)."""
    src = text[start:end].rstrip()
    tree = _ast(src, "exec", text, start)
    return _convert(lambda t: [_dot_call(s) for s in t.body], tree, src, text, start)
