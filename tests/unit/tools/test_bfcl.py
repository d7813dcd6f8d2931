"""Every BFCL function spec becomes a tool, and every acceptable answer validates against it.

BFCL answers list acceptable values per parameter; "" means "may be omitted". We build one concrete
call per answer from the first non-"" value of each parameter, and mutations that must fail.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corral.tools import Tool, normalize_schema, validate_arguments

SETS = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]
ANSWERED = SETS[:-1]
# Acceptable values in BFCL's answers that contradict BFCL's own schema. BFCL's grader never checks
# enums and is loose on types; a JSON Schema validator must reject these, and does, naming the parameter.
KNOWN_BAD_ALTERNATIVES: dict[str, str] = {
    "simple_python_149": "company_names given as [['Apple'], ['Microsoft']] for an array of strings",
    "simple_python_307": "venue=true for a string parameter",
    "simple_python_358": "diet 'GF' / 'gluten free' outside the enum",
    "multiple_76": "material 'bronze' outside the enum ['Bronze', ...]",
    "parallel_152": "mod=null for a number parameter",
    "parallel_multiple_21": "x/y given as Python expressions (strings) for arrays",
    "parallel_multiple_94": "string elements for an array of integers",
    "parallel_multiple_143": "specs 'open-hole' outside the enum ['open hole', ...]",
    "parallel_multiple_173": "time_frame '1 year' outside the enum",
    "parallel_multiple_194": "unit 'ft' outside the enum ['meter', 'feet']",
}


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _tool(spec: dict[str, Any]) -> Tool:
    return Tool.from_schema(
        spec["name"], spec.get("description", ""), normalize_schema(spec["parameters"]), lambda **kw: kw
    )


def _items(data_dir: Path, name: str) -> list[dict[str, Any]]:
    return list(_lines(data_dir / "bfcl" / f"BFCL_v4_{name}.json"))


def _first(values: list[Any]) -> Any:
    present = [v for v in values if v != ""]
    return present[0] if present else _OMIT


_OMIT = object()


def _value(value: Any, schema: dict[str, Any]) -> Any:
    """BFCL nests acceptable-value lists inside object values: {"field": ["age"]} means field="age"."""
    if schema.get("type") == "object" and isinstance(value, dict) and "properties" in schema:
        return _concrete(value, schema["properties"])
    if schema.get("type") == "array" and isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_value(v, schema["items"]) for v in value]
    return value


def _concrete(answer: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    args = {}
    for param, values in answer.items():
        picked = _first(values) if isinstance(values, list) else values
        if picked is not _OMIT:
            args[param] = _value(picked, props.get(param, {}))
    return args


@pytest.mark.parametrize("name", SETS)
def test_every_function_spec_becomes_a_tool(data_dir, name):
    count = 0
    for item in _items(data_dir, name):
        for spec in item["function"]:
            tool = _tool(spec)
            assert tool.to_openai()["function"]["parameters"]["type"] == "object"
            count += 1
    assert count >= 100


def _answered_calls(data_dir: Path, name: str) -> list[tuple[str, Tool, dict[str, Any]]]:
    return _cached_calls(str(data_dir), name)


@functools.cache
def _cached_calls(data_dir: str, name: str) -> list[tuple[str, Tool, dict[str, Any]]]:
    return list(_iter_calls(Path(data_dir), name))


def _iter_calls(data_dir: Path, name: str) -> Iterator[tuple[str, Tool, dict[str, Any]]]:
    answers = {
        a["id"]: a["ground_truth"] for a in _lines(data_dir / "bfcl" / "possible_answer" / f"BFCL_v4_{name}.json")
    }
    for item in _items(data_dir, name):
        tools = {spec["name"]: _tool(spec) for spec in item["function"]}
        for call in answers[item["id"]]:
            ((fname, answer),) = call.items()
            yield item["id"], tools[fname], answer


@pytest.mark.parametrize("name", ANSWERED)
def test_every_acceptable_value_validates(data_dir, name):
    failures, checked = [], 0
    for item_id, tool, answer in _answered_calls(data_dir, name):
        props = tool.parameters["properties"]
        base = _concrete(answer, props)
        error = validate_arguments(tool, base)
        checked += 1
        if error is not None:
            failures.append(f"{item_id}: {error.message}")
        for param, values in answer.items():
            for alt in values[1:]:
                if alt == "":
                    continue
                error = validate_arguments(tool, {**base, param: _value(alt, props.get(param, {}))})
                checked += 1
                if error is not None:
                    failures.append(f"{item_id}/{param}={alt!r}: {error.message}")
    unexpected = [f for f in failures if f.split(":")[0].split("/")[0] not in KNOWN_BAD_ALTERNATIVES]
    assert not unexpected, "\n".join(unexpected[:20])
    assert all("argument '" in f for f in failures)  # even data errors are reported per parameter
    assert checked > 150


def test_known_bad_alternatives_are_really_rejected(data_dir):
    # Keeps the list above honest: every entry must still be a rejection, not a stale excuse.
    rejected = set()
    for name in ANSWERED:
        for item_id, tool, answer in _answered_calls(data_dir, name):
            if item_id not in KNOWN_BAD_ALTERNATIVES:
                continue
            props = tool.parameters["properties"]
            base = _concrete(answer, props)
            alternatives = [{**base, p: _value(v, props.get(p, {}))} for p, vs in answer.items() for v in vs if v != ""]
            if any(validate_arguments(tool, a) is not None for a in [base, *alternatives]):
                rejected.add(item_id)
    assert rejected == set(KNOWN_BAD_ALTERNATIVES)


_WRONG = {"string": 12345, "integer": "seven", "number": "seven", "boolean": "yes", "array": "nope", "object": "nope"}


def _wrong_value(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    return _WRONG.get(kind if isinstance(kind, str) else "", None)


@pytest.mark.parametrize("name", ANSWERED)
def test_mutated_answers_fail_naming_the_parameter(data_dir, name):
    problems, mutated = [], 0
    for item_id, tool, answer in _answered_calls(data_dir, name):
        props = tool.parameters["properties"]
        base = _concrete(answer, props)
        if item_id in KNOWN_BAD_ALTERNATIVES and validate_arguments(tool, base) is not None:
            continue
        for param in tool.parameters.get("required", []):
            if param in base:
                error = validate_arguments(tool, {k: v for k, v in base.items() if k != param})
                mutated += 1
                if error is None or f"missing required argument {param!r}" not in error.message:
                    problems.append(f"{item_id}: dropping {param} gave {error}")
        for param in base:
            wrong = _wrong_value(props.get(param, {}))
            if wrong is None:
                continue
            error = validate_arguments(tool, {**base, param: wrong})
            mutated += 1
            if error is None or f"argument {param!r}" not in error.message:
                problems.append(f"{item_id}: {param}={wrong!r} gave {error}")
    assert not problems, "\n".join(problems[:20])
    assert mutated > 150


def test_normalize_schema_maps_python_type_names():
    spec = {
        "type": "dict",
        "properties": {
            "f": {"type": "float"},
            "t": {"type": "tuple", "items": {"type": "integer"}},
            "a": {"type": "any"},
            "d": {"type": "dict", "properties": {"type": {"type": "string"}}},
            "o": {"type": "string", "optional": True},
        },
        "required": ["f", "o"],
    }
    out = normalize_schema(spec)
    assert out["type"] == "object"
    assert out["properties"]["f"] == {"type": "number"}
    assert out["properties"]["t"]["type"] == "array"
    assert "type" not in out["properties"]["a"]
    # A property *named* "type" is not a type keyword and stays untouched.
    assert out["properties"]["d"]["properties"]["type"] == {"type": "string"}
    assert out["required"] == ["f"]
    assert spec["type"] == "dict"  # input untouched


def test_bfcl_int_for_float_is_accepted_and_coerced():
    tool = Tool.from_schema(
        "area",
        "",
        normalize_schema({"type": "dict", "properties": {"r": {"type": "float"}}, "required": ["r"]}),
        lambda r: r,
    )
    assert validate_arguments(tool, {"r": 3}) is None
    assert validate_arguments(tool, {"r": "3"}).message.endswith("argument 'r': expected number, got string '3'.")
