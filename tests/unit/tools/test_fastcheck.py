"""The fast pre-check never calls an invalid instance valid (checked against jsonschema itself)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral.tools import normalize_schema
from corral.tools._fastcheck import compile_check

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "minimum": 0, "maximum": 5},
            "b": {"type": ["string", "null"], "maxLength": 3, "pattern": "^x"},
            "c": {"type": "array", "items": {"enum": [1, "1", True, None]}, "minItems": 1, "maxItems": 2},
            "d": {"anyOf": [{"type": "number", "exclusiveMinimum": 1}, {"const": False}]},
        },
        "required": ["a"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "o": {
                "type": "object",
                "properties": {"x": {"type": "number"}},
                "additionalProperties": {"type": "boolean"},
            }
        },
    },
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.floats(-10, 10, allow_nan=False)
    | st.sampled_from(["", "x", "xy", "xyz1", "1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcdox"), inner, max_size=4),
    max_leaves=12,
)


def _bfcl_schemas(data_dir) -> list[dict[str, Any]]:
    out = []
    for line in (data_dir / "bfcl" / "BFCL_v4_multiple.json").read_text().splitlines()[:60]:
        out += [normalize_schema(f["parameters"]) for f in json.loads(line)["function"]]
    return out


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SCHEMAS), st.dictionaries(st.sampled_from("abcdox"), json_values, max_size=4))
def test_fast_true_implies_jsonschema_valid(schema, instance):
    check = compile_check(schema)
    assert check is not None
    if check(instance):
        assert jsonschema.Draft202012Validator(schema).is_valid(instance)


def test_fast_check_is_sound_on_bfcl_schemas_with_random_instances(data_dir):
    schemas = _bfcl_schemas(data_dir)
    covered = [s for s in schemas if compile_check(s) is not None]
    assert len(covered) > 0.9 * len(schemas)  # the subset covers almost every real spec

    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(covered), st.data())
    def check(schema, data):
        keys = list(schema.get("properties", {})) + ["zz"]
        instance = data.draw(st.dictionaries(st.sampled_from(keys), json_values, max_size=5))
        if compile_check(schema)(instance):
            assert jsonschema.Draft202012Validator(schema).is_valid(instance)

    check()


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "$ref": "#/x"},
        {"type": "object", "oneOf": []},
        {"type": "object", "properties": {"a": False}},
        {"type": "tuple"},
    ],
)
def test_unsupported_schemas_get_no_fast_check(schema):
    assert compile_check(schema) is None


def test_ambiguous_equalities_are_left_to_jsonschema():
    check = compile_check({"enum": [1]})
    assert check(1) and not check(True) and not check(1.0)
