"""A fast "certainly valid" pre-check for the common subset of JSON Schema tools use.

jsonschema is exact but costs tens of microseconds per call even with a compiled validator,
and dispatch sits on the agent's hot path. ``compile_check(schema)`` returns a function that
answers True only when the instance is certainly valid; False means "not sure", and the caller
then asks jsonschema (which also writes the error messages). A schema using any keyword outside
the subset gets no fast check at all (None). Soundness (True implies jsonschema agrees) is
property-tested against jsonschema.

Example::

    >>> check = compile_check({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]})
    >>> check({"a": 1}), check({"a": "1"}), check({})
    (True, False, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["compile_check"]

Check = Callable[[Any], bool]

# Keywords that never change validity (annotations) or that we check below.
_ANNOTATIONS = {
    "description",
    "default",
    "title",
    "examples",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
    "format",
    "optional",
}
_HANDLED = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "items",
    "anyOf",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "integer": lambda x: (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer()),
    "number": _is_number,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "array": lambda x: isinstance(x, list),
    "object": lambda x: isinstance(x, dict),
}
_SCALARS = (str, int, float, bool, type(None))


# The checks run for every argument of every call, so they are plain loops and set operations:
# a generator expression per level cost more than the checking itself.


def compile_check(schema: Any) -> Check | None:
    """A function returning True only for instances certainly valid against ``schema``, or None."""
    if schema is True or schema == {}:
        return _anything
    if not isinstance(schema, dict) or not set(schema) <= _HANDLED | _ANNOTATIONS:
        return None
    checks: list[Check] = []
    for key in _HANDLED & set(schema):
        check = _KEYWORDS[key](schema[key], schema)
        if check is None:
            return None
        checks.append(check)
    return _every(checks)


def _anything(_x: Any) -> bool:
    return True


def _every(checks: list[Check]) -> Check:
    """True when all ``checks`` are (a lone check is returned as is)."""
    if len(checks) == 1:
        return checks[0]

    def check(x: Any) -> bool:
        for c in checks:
            if not c(x):
                return False
        return True

    return check


def _type(value: Any, _schema: dict[str, Any]) -> Check | None:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or any(n not in _TYPES for n in names):
        return None
    tests = [_TYPES[n] for n in names]
    return tests[0] if len(tests) == 1 else (lambda x: any(t(x) for t in tests))


def _properties(value: Any, _schema: dict[str, Any]) -> Check | None:
    if not isinstance(value, dict):
        return None
    subs = {k: compile_check(v) for k, v in value.items()}
    if any(c is None for c in subs.values()):
        return None

    def check(x: Any) -> bool:
        if isinstance(x, dict):
            for k, v in x.items():
                sub = subs.get(k)
                if sub is not None and not sub(v):
                    return False
        return True

    return check


def _required(value: Any, _schema: dict[str, Any]) -> Check | None:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        return None  # not a list of names: leave it to jsonschema
    names = frozenset(value)
    return lambda x: not isinstance(x, dict) or x.keys() >= names


def _additional(value: Any, schema: dict[str, Any]) -> Check | None:
    known = set(schema.get("properties", {}))
    if value is True:
        return lambda x: True
    if value is False:
        return lambda x: not isinstance(x, dict) or known.issuperset(x)
    sub = compile_check(value)
    if sub is None:
        return None
    return lambda x: not isinstance(x, dict) or all(sub(v) for k, v in x.items() if k not in known)


def _same(a: Any, b: Any) -> bool:
    # Only exact scalar matches count as certain; 1 vs True vs 1.0 is left to jsonschema.
    return type(a) is type(b) and isinstance(a, _SCALARS) and a == b


def _enum(value: Any, _schema: dict[str, Any]) -> Check | None:
    return None if not isinstance(value, list) else (lambda x: any(_same(x, e) for e in value))


def _const(value: Any, _schema: dict[str, Any]) -> Check | None:
    return lambda x: _same(x, value)


def _items(value: Any, _schema: dict[str, Any]) -> Check | None:
    sub = compile_check(value)
    return None if sub is None else (lambda x: not isinstance(x, list) or all(sub(v) for v in x))


def _any_of(value: Any, _schema: dict[str, Any]) -> Check | None:
    subs = [compile_check(v) for v in value] if isinstance(value, list) else [None]
    if any(s is None for s in subs):
        return None
    return lambda x: any(s(x) for s in subs)  # type: ignore[misc]


def _bound(op: Callable[[Any, Any], bool]) -> Callable[[Any, dict[str, Any]], Check | None]:
    def make(value: Any, _schema: dict[str, Any]) -> Check | None:
        if not _is_number(value):
            return None
        return lambda x: not _is_number(x) or op(x, value)

    return make


def _length(of: type, op: Callable[[int, int], bool]) -> Callable[[Any, dict[str, Any]], Check | None]:
    def make(value: Any, _schema: dict[str, Any]) -> Check | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        return lambda x: not isinstance(x, of) or op(len(x), value)

    return make


def _pattern(value: Any, _schema: dict[str, Any]) -> Check | None:
    try:
        regex = re.compile(value)
    except (re.error, TypeError):
        return None
    return lambda x: not isinstance(x, str) or regex.search(x) is not None


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Check | None]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional,
    "enum": _enum,
    "const": _const,
    "items": _items,
    "anyOf": _any_of,
    "minimum": _bound(lambda x, v: x >= v),
    "maximum": _bound(lambda x, v: x <= v),
    "exclusiveMinimum": _bound(lambda x, v: x > v),
    "exclusiveMaximum": _bound(lambda x, v: x < v),
    "minLength": _length(str, lambda n, v: n >= v),
    "maxLength": _length(str, lambda n, v: n <= v),
    "minItems": _length(list, lambda n, v: n >= v),
    "maxItems": _length(list, lambda n, v: n <= v),
    "pattern": _pattern,
}
