"""Check a model's arguments against the schema it saw, and say exactly what was wrong.

Validation uses jsonschema with the validator compiled once per tool (after a cheap
"certainly valid" pre-check for the common keyword subset, see ``_fastcheck``); conversion to the Python
types of the function's hints (e.g. a dict to a pydantic model, an int to a float) uses pydantic
adapters also built once per tool.

Example::

    >>> from corral.tools import tool
    >>> @tool
    ... def forecast(city: str, days: int = 1) -> str:
    ...     return city
    >>> validate_arguments(forecast, {"days": "3"}).message
    "Invalid arguments for tool 'forecast': missing required argument 'city' (string); argument 'days': expected integer, got string '3'."
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pydantic

from .definition import Tool
from .results import ToolError

__all__ = ["validate_arguments", "coerce_arguments"]

_MAX_PROBLEMS = 5
_JSON_TYPE = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


def validate_arguments(tool: Tool, arguments: Any) -> ToolError | None:
    """Return an ``invalid_arguments`` error describing every problem, or None when valid."""
    if not isinstance(arguments, dict):
        return _invalid(tool, [f"arguments must be a JSON object, got {_describe(arguments)}"])
    fast = tool._fast_check
    if fast is not None and fast(arguments):  # certainly valid: skip jsonschema (see _fastcheck)
        return None
    validator = tool._validator
    if validator.is_valid(arguments):
        return None
    errors = sorted(validator.iter_errors(arguments), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    problems: list[str] = []
    for err in errors:
        for problem in _explain(err, tool.parameters):
            if problem not in problems:
                problems.append(problem)
    return _invalid(tool, problems)


def coerce_arguments(tool: Tool, arguments: dict[str, Any]) -> dict[str, Any] | ToolError:
    """Convert schema-valid JSON arguments to the function's Python types (pydantic, lax mode)."""
    accepts = tool._accepts
    if accepts is not None and not accepts.issuperset(arguments):
        # The schema allowed it but the function cannot take it: still the model's mistake.
        allowed = ", ".join(sorted(accepts)) or "none"
        return _invalid(
            tool, [f"unexpected argument {k!r} (allowed arguments: {allowed})" for k in arguments if k not in accepts]
        )
    adapters = tool._adapters
    if not adapters:
        return arguments
    exact = tool._exact_types
    out = {}
    for name, value in arguments.items():
        adapter = adapters.get(name)
        if adapter is None or type(value) is exact.get(name):  # nothing to convert
            out[name] = value
            continue
        try:
            out[name] = adapter.validate_python(value)
        except pydantic.ValidationError as exc:
            detail = "; ".join(f"{_where(name, e['loc'])}: {e['msg']}" for e in exc.errors()[:_MAX_PROBLEMS])
            return _invalid(tool, [detail])
    return out


def _invalid(tool: Tool, problems: list[str]) -> ToolError:
    extra = len(problems) - _MAX_PROBLEMS
    shown = problems[:_MAX_PROBLEMS] + ([f"and {extra} more"] if extra > 0 else [])
    return ToolError(
        kind="invalid_arguments", message=f"Invalid arguments for tool {tool.name!r}: " + "; ".join(shown) + "."
    )


def _where(name: str, loc: tuple[Any, ...] | list[Any]) -> str:
    path = name
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return f"argument {path!r}"


def _path(err: jsonschema.ValidationError) -> str:
    parts = list(err.absolute_path)
    if not parts:
        return ""
    return _where(str(parts[0]), parts[1:])


def _explain(err: jsonschema.ValidationError, root: dict[str, Any]) -> list[str]:
    where = _path(err)
    prefix = f"{where}: " if where else ""
    schema = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "required" and isinstance(err.instance, dict):
        props = schema.get("properties", {})
        missing = [r for r in err.validator_value if r not in err.instance]
        return [f"{prefix}missing required argument {m!r}{_expected(props.get(m))}" for m in missing]
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(schema.get("properties", {}))
        extras = [k for k in err.instance if k not in allowed]
        names = ", ".join(allowed) or "none"
        return [f"{prefix}unexpected argument {k!r} (allowed arguments: {names})" for k in extras]
    if err.validator == "type":
        want = err.validator_value if isinstance(err.validator_value, str) else " or ".join(err.validator_value)
        return [f"{prefix}expected {want}, got {_describe(err.instance)}"]
    if err.validator in ("enum", "const"):
        allowed = err.validator_value if err.validator == "enum" else [err.validator_value]
        return [f"{prefix}must be one of {_short(allowed)}, got {_short(err.instance)}"]
    if err.validator in ("anyOf", "oneOf"):
        return [f"{prefix}{_short(err.instance)} matches none of the allowed forms {_short(err.validator_value)}"]
    return [f"{prefix}{err.message}"]


def _expected(schema: Any) -> str:
    if isinstance(schema, dict) and "type" in schema:
        kind = schema["type"]
        return f" ({kind if isinstance(kind, str) else ' or '.join(kind)})"
    return ""


def _describe(value: Any) -> str:
    return f"{_JSON_TYPE.get(type(value), type(value).__name__)} {_short(value)}"


def _short(value: Any, limit: int = 80) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
