"""Type hints -> JSON Schema: the matrix of types a tool parameter may have."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Any, Literal, Optional, Union

import jsonschema
import pytest
from pydantic import BaseModel, Field

from corral.exceptions import ToolDefinitionError
from corral.tools import Tool, tool


def params(fn) -> dict[str, Any]:
    return tool(fn).parameters


def prop(fn, name: str) -> dict[str, Any]:
    return params(fn)["properties"][name]


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Point(BaseModel):
    x: float
    y: float = 0.0


@dataclasses.dataclass
class Window:
    start: int
    end: int


class Node(BaseModel):
    value: int
    children: list[Node] = []


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (type(None), {"type": "null"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (Literal["a", "b"], {"enum": ["a", "b"], "type": "string"}),
        (Color, {"enum": ["red", "green"], "type": "string"}),
        (Optional[int], {"type": ["integer", "null"]}),
        (Union[int, str], {"type": ["integer", "string"]}),
        (int | None, {"type": ["integer", "null"]}),
    ],
    ids=lambda v: getattr(v, "__name__", None) or str(v),
)
def test_simple_hints_map_to_json_schema_types(hint, expected):
    def f(x): ...

    f.__annotations__ = {"x": hint}
    assert prop(f, "x") == expected


def test_tuple_becomes_a_fixed_array():
    def f(pair: tuple[int, str]): ...

    schema = prop(f, "pair")
    assert schema["type"] == "array"
    assert schema["prefixItems"] == [{"type": "integer"}, {"type": "string"}]


def test_defaults_make_parameters_optional_and_are_shown():
    def f(a: int, b: str = "x", c: Optional[int] = None): ...

    schema = params(f)
    assert schema["required"] == ["a"]
    assert schema["properties"]["b"]["default"] == "x"
    assert schema["additionalProperties"] is False


def test_annotated_field_constraints_are_kept():
    def f(
        n: Annotated[int, Field(ge=1, le=10, description="How many.")],
        tag: Annotated[str, Field(pattern=r"^[a-z]+$", max_length=8)] = "a",
    ): ...

    schema = params(f)["properties"]
    assert schema["n"] == {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many."}
    assert schema["tag"]["pattern"] == "^[a-z]+$" and schema["tag"]["maxLength"] == 8


def test_pydantic_models_and_dataclasses_are_inlined_nested_objects():
    def f(point: Point, window: Window): ...

    schema = params(f)
    assert "$defs" not in schema
    assert schema["properties"]["point"] == {
        "type": "object",
        "properties": {"x": {"type": "number"}, "y": {"type": "number", "default": 0.0}},
        "required": ["x"],
    }
    assert schema["properties"]["window"]["required"] == ["start", "end"]
    assert "title" not in str(schema)  # pydantic's auto titles are dropped


class Book(BaseModel):
    title: str


def test_a_property_called_title_survives_title_stripping():
    def f(book: Book): ...

    assert prop(f, "book")["properties"] == {"title": {"type": "string"}}


def test_recursive_models_keep_only_their_own_defs():
    def f(tree: Node): ...

    schema = params(f)
    assert set(schema["$defs"]) == {"Node"}
    jsonschema.validate({"tree": {"value": 1, "children": [{"value": 2}]}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tree": {"value": 1, "children": [{"value": "x"}]}}, schema)


def test_every_generated_schema_is_valid_json_schema():
    def f(a: int, b: list[Point], c: dict[str, Window], d: Literal[1, 2] = 1, e: Optional[Color] = None): ...

    jsonschema.Draft202012Validator.check_schema(params(f))


def test_missing_type_hint_names_function_and_parameter():
    def search(query: str, limit): ...

    with pytest.raises(ToolDefinitionError, match=r"'limit'.*test_schema:.*search"):
        tool(search)


def test_unresolvable_hint_says_where_types_must_live():
    def f(x: NotDefinedAnywhere): ...  # noqa: F821

    with pytest.raises(ToolDefinitionError, match="module level"):
        tool(f)


def test_var_args_are_refused_with_advice():
    def f(*args: int): ...

    with pytest.raises(ToolDefinitionError, match="from_schema"):
        tool(f)


def test_decorator_options_and_async_functions():
    @tool(name="weather", description="Get weather.", timeout=2.5, requires_approval=True)
    async def get_weather(city: str) -> str:
        return city

    assert (get_weather.name, get_weather.description, get_weather.timeout) == ("weather", "Get weather.", 2.5)
    assert get_weather.requires_approval and get_weather.is_async


def test_openai_round_trip_is_lossless():
    spec = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"], "type": "string"}},
                "required": ["city"],
            },
        },
    }
    t = Tool.from_openai(spec, lambda city, unit="c": city)
    assert t.to_openai() == spec
    assert Tool.from_openai(t.to_openai()).to_openai() == spec


def test_function_tool_round_trips_through_openai_dict():
    @tool
    def f(a: int, p: Point, c: Literal["x", "y"] = "x") -> int:
        """Do f."""
        return a

    again = Tool.from_openai(f.to_openai(), f.func)
    assert again.to_openai() == f.to_openai()
    assert (again.name, again.description, again.parameters) == (f.name, f.description, f.parameters)


def test_to_openai_returns_a_copy():
    @tool
    def f(a: int): ...

    f.to_openai()["function"]["parameters"]["properties"].clear()
    assert "a" in f.parameters["properties"]


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        ({"type": "dict", "properties": {}}, "normalize_schema"),
        ({"type": "object", "properties": {"a": {"type": "float"}}}, "not valid JSON Schema"),
        ("nope", "type"),
    ],
)
def test_bad_schemas_are_refused_at_definition(parameters, match):
    with pytest.raises(ToolDefinitionError, match=match):
        Tool.from_schema("f", "", parameters, lambda **kw: kw)


@pytest.mark.parametrize("name", ["", "has space", "1abc", None, "x/y"])
def test_bad_tool_names_are_refused(name):
    with pytest.raises(ToolDefinitionError, match="invalid tool name"):
        Tool.from_schema(name, "", {"type": "object", "properties": {}})


def test_tools_are_plain_comparable_hashable_values():
    def f(a: int) -> int:
        return a

    assert tool(f) == tool(f)
    assert hash(tool(f)) == hash(tool(f))
    assert tool(f)(3) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        tool(f).name = "g"  # type: ignore[misc]


def test_callables_without_a_name_need_one():
    import functools

    def scale(x: float, factor: float) -> float:
        return x * factor

    with pytest.raises(ToolDefinitionError, match="pass name="):
        tool(functools.partial(scale, factor=2.0))
    doubled = tool(name="double")(functools.partial(scale, factor=2.0))
    assert doubled.name == "double" and doubled(3.0) == 6.0
