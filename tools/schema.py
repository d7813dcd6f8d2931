"""JSON Schema for tools: from a Python signature, tidied for a small model, or normalised from BFCL.

The schema the model sees is built with public pydantic API (``create_model`` +
``model_json_schema``), then made self-contained and small: ``$defs`` are inlined (kept only for
recursive types), pydantic's auto-generated ``title`` keys are dropped, and ``anyOf`` of bare
types becomes a ``type`` list. Arguments are later validated against exactly this schema.

Example::

    >>> def f(city: str, days: int = 1) -> str: ...
    >>> signature_schema(f)[0]["required"]
    ['city']
"""

from __future__ import annotations

import copy
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

import pydantic
from pydantic import ConfigDict, Field

from corral.exceptions import ToolDefinitionError

from ._docstrings import parse_docstring
from .context import context_parameter

__all__ = ["signature_schema", "arguments_model", "tidy_schema", "normalize_schema", "type_hints"]

_SUB_SCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def _origin(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


def type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """``typing.get_type_hints`` that also sees through functools.partial and callable objects."""
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isroutine(target) or inspect.isclass(target)):
        target = type(target).__call__
    return typing.get_type_hints(target, include_extras=True)


def _parameters(fn: Callable[..., Any], *, strict: bool) -> list[tuple[inspect.Parameter, Any]]:
    """The tool's parameters with resolved annotations (``Any`` for unhinted ones unless strict)."""
    try:
        hints = type_hints(fn)
    except Exception as exc:  # a forward reference that cannot be resolved
        raise ToolDefinitionError(
            f"cannot resolve the type hints of {_origin(fn)}: {exc} (types named in hints must be "
            "importable from the function's module, e.g. defined at module level)"
        ) from exc
    params = inspect.signature(fn).parameters
    context = context_parameter(hints, list(params), _origin(fn))  # filled by the agent, not the model
    out = []
    for param in params.values():
        if param.name == context:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            if strict:
                raise ToolDefinitionError(
                    f"{_origin(fn)} takes *{param.name}: a tool needs named parameters only "
                    "(use Tool.from_schema to describe the arguments yourself)"
                )
            continue
        if param.name not in hints and strict:
            raise ToolDefinitionError(
                f"parameter {param.name!r} of {_origin(fn)} has no type hint: annotate it "
                "(e.g. `{0}: str`) so the model knows what to pass".format(param.name)
            )
        out.append((param, hints.get(param.name, Any)))
    return out


def arguments_model(
    fn: Callable[..., Any], *, strict: bool = True, descriptions: dict[str, str] | None = None
) -> type[pydantic.BaseModel]:
    """A pydantic model with one field per parameter of ``fn`` (extra arguments are forbidden)."""
    descriptions = descriptions or {}
    fields: dict[str, Any] = {}
    for param, hint in _parameters(fn, strict=strict):
        default = ... if param.default is param.empty else param.default
        # Only pass a docstring description: an explicit None would erase one from Annotated[..., Field()].
        extra = {"description": descriptions[param.name]} if param.name in descriptions else {}
        fields[param.name] = (hint, Field(default, **extra))
    name = getattr(fn, "__name__", "tool")
    try:
        return pydantic.create_model(  # type: ignore[call-overload]
            f"{name}_arguments", __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=False), **fields
        )
    except Exception as exc:  # e.g. a type pydantic cannot describe
        raise ToolDefinitionError(f"cannot build a schema for {_origin(fn)}: {exc}") from exc


def signature_schema(fn: Callable[..., Any]) -> tuple[dict[str, Any], type[pydantic.BaseModel], str]:
    """Return ``(parameters schema, arguments model, description)`` for a Python function."""
    doc = parse_docstring(inspect.getdoc(fn))
    model = arguments_model(fn, strict=True, descriptions=doc.params)
    try:
        raw = model.model_json_schema()
    except Exception as exc:  # e.g. a Callable parameter: nothing a model could send
        raise ToolDefinitionError(f"cannot build a JSON Schema for {_origin(fn)}: {exc}") from exc
    schema = tidy_schema(raw)
    schema.setdefault("properties", {})
    return schema, model, doc.summary


def tidy_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline ``$defs`` (unless recursive), drop auto titles, collapse ``anyOf`` of bare types."""
    defs = schema.get("$defs", {})
    recursive = {name for name in defs if _refers_to(defs[name], name, defs, set())}
    out = _tidy(schema, defs, recursive, top=True)
    kept = {k: _tidy(v, defs, recursive, top=False) for k, v in defs.items() if k in recursive}
    out.pop("$defs", None)
    if kept:
        out["$defs"] = kept
    return out


def _refers_to(node: Any, target: str, defs: dict[str, Any], seen: set[str]) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            name = ref.rsplit("/", 1)[1]
            if name == target:
                return True
            if name not in seen:
                seen.add(name)
                if _refers_to(defs.get(name), target, defs, seen):
                    return True
        return any(_refers_to(v, target, defs, seen) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(v, target, defs, seen) for v in node)
    return False


def _tidy(node: dict[str, Any], defs: dict[str, Any], recursive: set[str], *, top: bool) -> dict[str, Any]:
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/") and ref.rsplit("/", 1)[1] not in recursive:
        target = dict(defs[ref.rsplit("/", 1)[1]])
        # Keep annotations written next to the $ref (e.g. a field description).
        target.update({k: v for k, v in node.items() if k != "$ref"})
        return _tidy(target, defs, recursive, top=top)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" or (key == "$defs" and top):
            continue  # pydantic's auto titles are noise for a small model
        out[key] = _tidy_value(key, value, defs, recursive)
    return _collapse_any_of(out)


def _tidy_value(key: str, value: Any, defs: dict[str, Any], recursive: set[str]) -> Any:
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        return {k: _tidy(v, defs, recursive, top=False) for k, v in value.items()}
    if key in _SCHEMA_LISTS and isinstance(value, list):
        return [_tidy(v, defs, recursive, top=False) for v in value]
    if key in _SUB_SCHEMA and isinstance(value, dict):
        return _tidy(value, defs, recursive, top=False)
    return value


def _collapse_any_of(node: dict[str, Any]) -> dict[str, Any]:
    branches = node.get("anyOf")
    if not branches or not all(set(b) == {"type"} and isinstance(b["type"], str) for b in branches):
        return node
    out = {k: v for k, v in node.items() if k != "anyOf"}
    out["type"] = [b["type"] for b in branches]
    return out


# BFCL (and many hand-written specs) use Python type names where JSON Schema has its own.
_TYPE_NAMES = {
    "dict": "object",
    "float": "number",
    "int": "integer",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "None": "null",
    "NoneType": "null",
}


def normalize_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Turn a BFCL-style, JSON-Schema-like spec into JSON Schema (the input is not modified).

    ``"dict"`` -> ``"object"``, ``"float"`` -> ``"number"``, ``"tuple"`` -> ``"array"``,
    ``"any"`` -> no type constraint; a property marked ``"optional": true`` leaves ``required``.

    Example::

        >>> normalize_schema({"type": "dict", "properties": {"x": {"type": "float"}}})
        {'type': 'object', 'properties': {'x': {'type': 'number'}}}
    """
    return _normalize(copy.deepcopy(schema))


def _normalize(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if isinstance(kind, str):
        if kind == "any":
            del node["type"]
        else:
            node["type"] = _TYPE_NAMES.get(kind, kind)
    elif isinstance(kind, list):
        kinds = [_TYPE_NAMES.get(k, k) for k in kind if k != "any"]
        if len(kinds) == len(kind):
            node["type"] = kinds
        else:  # "any" among the alternatives means no constraint at all
            del node["type"]
    for key, value in list(node.items()):
        node[key] = _normalize_value(key, value)
    _drop_optional(node)
    return node


def _normalize_value(key: str, value: Any) -> Any:
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if key in _SCHEMA_LISTS and isinstance(value, list):
        return [_normalize(v) for v in value]
    if key in _SUB_SCHEMA and isinstance(value, (dict, list)):
        return [_normalize(v) for v in value] if isinstance(value, list) else _normalize(value)
    return value


def _drop_optional(node: dict[str, Any]) -> None:
    props = node.get("properties")
    if not isinstance(props, dict) or not isinstance(node.get("required"), list):
        return
    optional = {k for k, v in props.items() if isinstance(v, dict) and v.get("optional") is True}
    if optional:
        node["required"] = [r for r in node["required"] if r not in optional]
