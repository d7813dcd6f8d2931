"""The per-call shortcuts in dispatch change nothing: each is checked against the path it skips."""

from __future__ import annotations

import enum
import json
import math

import pytest
from pydantic import TypeAdapter

from corral.tools import Registry, coerce_arguments, dispatch, serialize_result, tool
from corral.tools._fastcheck import compile_check
from corral.tools.results import _to_json


class _Level(enum.IntEnum):
    HIGH = 3


def _takes_int(x: int) -> None:
    return None


def _takes_float(x: float) -> None:
    return None


def _takes_bool(x: bool) -> None:
    return None


TAKES = {int: tool(_takes_int), float: tool(_takes_float), bool: tool(_takes_bool)}


@pytest.mark.parametrize(
    "hint, value",
    [
        (int, 0),
        (int, -5),
        (int, 10**40),
        (float, 2.5),
        (float, -0.0),
        (float, math.inf),
        (bool, True),
        (bool, False),
    ],
)
def test_values_of_exactly_the_hinted_type_skip_an_adapter_that_would_return_them_unchanged(hint, value):
    converted = TypeAdapter(hint).validate_python(value)
    assert type(converted) is type(value) and converted == value
    assert TAKES[hint]._exact_types == {"x": hint}
    out = coerce_arguments(TAKES[hint], {"x": value})
    assert type(out["x"]) is type(value) and out["x"] == value


@pytest.mark.parametrize("hint, value, expected", [(float, 2, 2.0), (int, 3.0, 3), (int, _Level.HIGH, 3)])
def test_other_values_still_go_through_the_adapter(hint, value, expected):
    out = coerce_arguments(TAKES[hint], {"x": value})
    assert out["x"] == expected and type(out["x"]) is type(expected)


@pytest.mark.parametrize("value", [0, -5, 10**40, True, False, None, _Level.HIGH, 1.5, [1, None], {"b": 1, "a": True}])
def test_scalar_results_serialize_as_the_json_path_writes_them(value):
    assert serialize_result(value) == _to_json(value)


def test_required_names_that_are_not_strings_get_no_fast_check():
    assert compile_check({"type": "object", "required": [1]}) is None
    check = compile_check({"required": ["a", "b"]})
    assert check is not None
    assert (check({"a": 1, "b": 2, "c": 3}), check({"a": 1}), check([])) == (True, False, True)  # [] is not an object


def test_dispatch_results_for_valid_and_invalid_calls():
    @tool
    def add(a: int, b: float = 0.5) -> float:
        return a + b

    results = dispatch(
        Registry([add]),
        [
            {"name": "add", "arguments": {"a": 2, "b": 3}},
            {"name": "add", "arguments": json.dumps({"a": "2"})},
            {"name": "sub", "arguments": {}},
        ],
    )
    assert [r.content for r in results[:1]] == ["5.0"]
    assert isinstance(results[0].output, float)
    assert [r.error.kind for r in results[1:]] == ["invalid_arguments", "unknown_tool"]
